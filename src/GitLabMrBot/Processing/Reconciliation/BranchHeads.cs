using GitLabMrBot.GitLab;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// Where each branch's head is, as a push hook said or a branch lookup answered, trusted for
/// <see cref="GitLabCacheOptions.TimeToLive"/>: whatever is read "at the target branch's head" (CODEOWNERS) is then read
/// at that commit, and a push to the branch is seen at once rather than when the time is up.
/// </summary>
public sealed class BranchHeads(IMemoryCache cache, IOptions<GitLabCacheOptions>? cacheOptions = null)
{
    private readonly GitLabCacheOptions _options = cacheOptions?.Value ?? new GitLabCacheOptions();

    /// <summary>The head last seen for the branch, or null (unknown, expired, or the caches are off).</summary>
    public string? Get(long projectId, string branch) =>
        _options.Enabled && cache.TryGetValue(Key(projectId, branch), out string? head) ? head : null;

    /// <summary>The branch is at <paramref name="head"/> now (a push moved it, or GitLab said so).</summary>
    public void Set(long projectId, string branch, string head)
    {
        if (_options.Enabled && !string.IsNullOrEmpty(head))
        {
            cache.Set(Key(projectId, branch), head, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _options.TimeToLive, Size = 1 });
        }
    }

    private static (string, long, string) Key(long projectId, string branch) => (nameof(BranchHeads), projectId, branch);
}
