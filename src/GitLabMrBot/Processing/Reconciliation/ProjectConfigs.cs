using System.Collections.Concurrent;
using GitLabMrBot.Configuration;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>The config an MR of a project is evaluated with, and what the summary says about the project's own file.</summary>
public sealed record ProjectConfigChoice(CompiledConfig Effective, ProjectFileStatus? ProjectFile);

/// <summary>
/// Each project's own policy file (<see cref="LookupOrder"/>), read from the default branch (<c>ref=HEAD</c>, which GitLab
/// resolves to it: docs/gitlab-behaviour.md) and merged into the group config (<see cref="ProjectConfigCompiler"/>).
/// Only when the group's <c>bot.config.json</c> has a <c>projects</c> section: without it no file is read, no call made.
/// The lookup is trusted for <see cref="GitLabCacheOptions.TimeToLive"/> or until a push to the default branch
/// (<see cref="Invalidate"/>); the effective config is compiled once per (group config, blob id). An invalid file keeps the
/// last valid version of this process in force.
/// </summary>
public sealed partial class ProjectConfigs(
    IMergeRequestReader gitLab, PolicyConfigProvider config, IMemoryCache cache, ProjectConfigMemory memory, ILogger<ProjectConfigs> logger,
    IOptions<GitLabCacheOptions>? cacheOptions = null)
{
    /// <summary>Where a project's file is looked for; the first that exists wins, so <c>.gitlab/mrbot.json</c> beats <c>.mrbot.json</c>.</summary>
    public static IReadOnlyList<string> LookupOrder { get; } = [".gitlab/mrbot.json", ".mrbot.json"];

    /// <summary>How many of an invalid file's errors the summary shows.</summary>
    public const int ErrorsShown = 5;

    private readonly GitLabCacheOptions _options = cacheOptions?.Value ?? new GitLabCacheOptions();

    public async Task<ProjectConfigChoice> ForProjectAsync(long projectId, string? projectPath, CancellationToken cancellationToken)
    {
        var group = config.Current;
        if (!group.Projects.Enabled)
        {
            return new ProjectConfigChoice(group, null);
        }
        var file = await LookupAsync(projectId, cancellationToken);
        if (file is null)
        {
            return new ProjectConfigChoice(group, null);
        }

        var result = memory.Compiled(projectId, group, file, projectPath);
        if (result.Effective is { } effective)
        {
            memory.Remember(projectId, file);
            return new ProjectConfigChoice(effective, Status(file.Path, effective, [], keptPrevious: false));
        }

        if (memory.FirstSeenInvalid(projectId, file.BlobId))
        {
            Log.Invalid(logger, projectId, file.Path, file.BlobId, result.Errors.Count, string.Join("; ", result.Errors.Take(ErrorsShown)));
        }
        var errors = result.Errors.Take(ErrorsShown).Select(e => e.ToString()).ToList();
        if (memory.LastValid(projectId) is { } previous && memory.Compiled(projectId, group, previous, projectPath).Effective is { } kept)
        {
            return new ProjectConfigChoice(kept, Status(file.Path, kept, errors, keptPrevious: true));
        }
        return new ProjectConfigChoice(group, Status(file.Path, group, errors, keptPrevious: false));
    }

    /// <summary>A push to the project's default branch may have changed its file: the next evaluation looks again.</summary>
    public void Invalidate(long projectId) => memory.Invalidate(projectId);

    private static ProjectFileStatus Status(string path, CompiledConfig effective, IReadOnlyList<string> errors, bool keptPrevious) =>
        new(path, effective.Policies.Where(p => p.Origin == PolicyOrigin.Project).Select(p => p.Name).ToHashSet(StringComparer.Ordinal), errors, keptPrevious);

    private async Task<ProjectFile?> LookupAsync(long projectId, CancellationToken cancellationToken)
    {
        var key = (nameof(ProjectConfigs), projectId, memory.Generation(projectId));
        if (_options.Enabled && cache.TryGetValue(key, out ProjectFile? hit))
        {
            return hit;
        }
        ProjectFile? found = null;
        foreach (var path in LookupOrder)
        {
            if (await gitLab.GetRepositoryFileAsync(projectId, path, "HEAD", cancellationToken) is { } file)
            {
                found = new ProjectFile(path, file.BlobId, Decode(file));
                break;
            }
        }
        if (_options.Enabled)
        {
            cache.Set(key, found, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _options.TimeToLive, Size = 1 });
        }
        return found;
    }

    private static byte[] Decode(GitLabRepositoryFile file)
    {
        try
        {
            return file.Encoding == "base64" ? Convert.FromBase64String(file.Content ?? "") : System.Text.Encoding.UTF8.GetBytes(file.Content ?? "");
        }
        catch (FormatException)
        {
            // Not what GitLab sends; the compiler then reports the bytes as invalid JSON rather than the evaluation failing.
            return System.Text.Encoding.UTF8.GetBytes(file.Content ?? "");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4221, Level = LogLevel.Warning, Message = "Project {ProjectId}: {Path} (blob {BlobId}) is invalid ({ErrorCount} errors), the last valid version or the group's policies apply: {Errors}")]
        public static partial void Invalid(ILogger logger, long projectId, string path, string blobId, int errorCount, string errors);
    }
}

/// <summary>A project's file as read from the default branch.</summary>
public sealed record ProjectFile(string Path, string BlobId, byte[] Content);

/// <summary>
/// What the bot remembers about project files for the life of the process: each project's last valid file, the compiled
/// result per (group config, blob), and a generation per project that a push to its default branch moves on.
/// </summary>
public sealed class ProjectConfigMemory
{
    private readonly ConcurrentDictionary<long, long> _generations = new();
    private readonly ConcurrentDictionary<long, ProjectFile> _lastValid = new();
    private readonly ConcurrentDictionary<(long ProjectId, string BlobId), (CompiledConfig Group, ProjectConfigResult Result)> _compiled = new();
    private readonly ConcurrentDictionary<(long ProjectId, string BlobId), bool> _reported = new();

    public long Generation(long projectId) => _generations.GetValueOrDefault(projectId);

    public void Invalidate(long projectId) => _generations.AddOrUpdate(projectId, 1, (_, g) => g + 1);

    public ProjectFile? LastValid(long projectId) => _lastValid.GetValueOrDefault(projectId);

    public void Remember(long projectId, ProjectFile file)
    {
        if (_lastValid.TryGetValue(projectId, out var before) && before.BlobId != file.BlobId)
        {
            _compiled.TryRemove((projectId, before.BlobId), out _);
        }
        _lastValid[projectId] = file;
    }

    /// <summary>True the first time a blob is found invalid (it is logged once, not at every evaluation).</summary>
    public bool FirstSeenInvalid(long projectId, string blobId) => _reported.TryAdd((projectId, blobId), true);

    /// <summary>Compiled once per (group config, blob); a reloaded group config compiles it again.</summary>
    public ProjectConfigResult Compiled(long projectId, CompiledConfig group, ProjectFile file, string? projectPath)
    {
        var key = (projectId, file.BlobId);
        if (_compiled.TryGetValue(key, out var hit) && ReferenceEquals(hit.Group, group))
        {
            return hit.Result;
        }
        var result = ProjectConfigCompiler.Compile(group, file.Content, $"{projectPath ?? projectId.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{file.Path}");
        _compiled[key] = (group, result);
        return result;
    }
}
