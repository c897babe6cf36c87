using GitLabMrBot.GitLab;
using GitLabMrBot.Policies.CodeOwners;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// Reads the CODEOWNERS file GitLab would use (first of <see cref="CodeOwnersFile.LookupOrder"/>) from the MR's target
/// branch as it is now: GitLab loads it from the target branch's head, not from the commit the MR's diff started at
/// (docs/gitlab-behaviour.md §4). The head is read once per <see cref="GitLabCacheOptions.TimeToLive"/> for every MR of
/// that branch, or set by the push that moved it (<see cref="BranchHeads"/>), and the parsed file is cached by that commit,
/// since a commit never changes. Without the branch (deleted meanwhile), <c>diff_refs.start_sha</c> stands in.
/// </summary>
public sealed partial class CodeOwnersSource(
    IMergeRequestReader gitLab, IMemoryCache cache, ILogger<CodeOwnersSource> logger, IOptions<GitLabCacheOptions>? cacheOptions = null, BranchHeads? branchHeads = null)
{
    private readonly BranchHeads _heads = branchHeads ?? new BranchHeads(cache, cacheOptions);
    private static readonly TimeSpan ByCommitFor = TimeSpan.FromHours(1);
    private static readonly TimeSpan ByBranchFor = TimeSpan.FromMinutes(1);
    private readonly GitLabCacheOptions _options = cacheOptions?.Value ?? new GitLabCacheOptions();

    /// <summary>The parsed file with the path it came from; <see cref="CodeOwnersFile.Empty"/> (and a null path) when there is none.</summary>
    public async Task<(CodeOwnersFile File, string? Path)> ReadAsync(long projectId, string? commit, string branch, CancellationToken cancellationToken)
    {
        var caching = _options.Enabled;
        var head = await BranchHeadAsync(projectId, branch, caching, cancellationToken);
        commit = string.IsNullOrEmpty(head) ? commit : head;
        var gitRef = string.IsNullOrEmpty(commit) ? branch : commit;
        var key = (nameof(CodeOwnersSource), projectId, gitRef);
        if (caching && cache.TryGetValue(key, out (CodeOwnersFile, string?) hit))
        {
            return hit;
        }

        (CodeOwnersFile, string?) found = (CodeOwnersFile.Empty, null);
        foreach (var path in CodeOwnersFile.LookupOrder)
        {
            if (await gitLab.GetFileAsync(projectId, path, gitRef, cancellationToken) is { } text)
            {
                var file = CodeOwnersFile.Parse(text);
                foreach (var warning in file.Warnings)
                {
                    Log.MalformedLine(logger, projectId, path, gitRef, warning.ToString());
                }
                found = (file, path);
                break;
            }
        }
        if (caching)
        {
            cache.Set(key, found, new MemoryCacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = string.IsNullOrEmpty(commit) ? ByBranchFor : ByCommitFor,
                Size = 1,
            });
        }
        return found;
    }

    private async Task<string?> BranchHeadAsync(long projectId, string branch, bool caching, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(branch))
        {
            return null;
        }
        if (caching && _heads.Get(projectId, branch) is { } known)
        {
            return known;
        }
        var head = await gitLab.GetBranchHeadAsync(projectId, branch, cancellationToken);
        if (caching && head is not null)
        {
            _heads.Set(projectId, branch, head);
        }
        return head;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Project {ProjectId} {Path} at {Ref}: {Warning} (line skipped or read as GitLab does)")]
        public static partial void MalformedLine(ILogger logger, long projectId, string path, string @ref, string warning);
    }
}
