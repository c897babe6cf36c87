using GitLabMrBot.GitLab;
using GitLabMrBot.Policies.CodeOwners;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// Reads the CODEOWNERS file GitLab would use (first of <see cref="CodeOwnersFile.LookupOrder"/>) from the MR's target
/// branch. With a commit of the target branch (the MR's <c>diff_refs.start_sha</c>: the target's head when the MR's
/// diff was made) the parsed file is cached by that commit, since a commit never changes; with only a branch name it
/// is cached for a minute.
/// </summary>
public sealed partial class CodeOwnersSource(IMergeRequestReader gitLab, IMemoryCache cache, ILogger<CodeOwnersSource> logger, IOptions<GitLabCacheOptions>? cacheOptions = null)
{
    private static readonly TimeSpan ByCommitFor = TimeSpan.FromHours(1);
    private static readonly TimeSpan ByBranchFor = TimeSpan.FromMinutes(1);

    /// <summary>The parsed file with the path it came from; <see cref="CodeOwnersFile.Empty"/> (and a null path) when there is none.</summary>
    public async Task<(CodeOwnersFile File, string? Path)> ReadAsync(long projectId, string? commit, string branch, CancellationToken cancellationToken)
    {
        var gitRef = string.IsNullOrEmpty(commit) ? branch : commit;
        var key = (nameof(CodeOwnersSource), projectId, gitRef);
        var caching = cacheOptions?.Value.Enabled ?? true;
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Project {ProjectId} {Path} at {Ref}: {Warning} (line skipped or read as GitLab does)")]
        public static partial void MalformedLine(ILogger logger, long projectId, string path, string @ref, string warning);
    }
}
