using System.Text;
using System.Text.Json;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Config;

namespace GitLabMrBot.Configuration;

/// <summary>A project's effective config, or the errors of its project file (with JSON path and line in that file).</summary>
public sealed record ProjectConfigResult(CompiledConfig? Effective, IReadOnlyList<ConfigError> Errors)
{
    public bool IsValid => Effective is not null;
}

/// <summary>
/// Merges a project's own file (<c>.gitlab/mrbot.json</c>) into the group's config, within what the group's
/// <c>projects</c> section allows (docs/contract.md §5). The file has the schema of <c>bot.config.json</c> without
/// the bot-wide parts, so the same loader checks it and its errors point at its own lines.
/// </summary>
public static class ProjectConfigCompiler
{
    /// <summary>Policies one project file may hold: each is evaluated on every MR of the project.</summary>
    public const int MaxPolicies = 50;

    /// <summary>Characters of one regular expression (title, description, commitMessages).</summary>
    public const int MaxRegexLength = 500;

    /// <summary>UTF-8 bytes of one comment template.</summary>
    public const int MaxTemplateBytes = 4096;

    /// <summary>UTF-8 bytes of the whole file (GitLab answers it base64-encoded, a third larger).</summary>
    public const int MaxFileBytes = 256 * 1024;

    internal const string PoliciesSection = "policies";

    /// <summary>The sections a group may allow project files to set (<c>projects.allow</c>).</summary>
    public static IReadOnlyList<string> Sections { get; } = [PoliciesSection, "labels", "sizeLabels", "reviewers", "needsRebase", "summaryComment"];

    /// <summary>Parts of <c>bot.config.json</c> that act on the bot as a whole: never from a project file.</summary>
    public static IReadOnlyList<string> BotWide { get; } = ["gitlab", "dryRun", "sweep", "projects"];

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// The project's effective config: the group config merged with the project file's content (UTF-8 JSON), or errors
    /// (with JSON path and 1-based line in the project file). sourceName e.g. "group/app:.gitlab/mrbot.json".
    /// </summary>
    public static ProjectConfigResult Compile(CompiledConfig group, ReadOnlyMemory<byte> projectFile, string sourceName)
    {
        if (projectFile.Length > MaxFileBytes)
        {
            return Failed([new ConfigError(JsonPath.Root, null,
                $"the file is {projectFile.Length / 1024} KB; a project file may be at most {MaxFileBytes / 1024} KB: move rules to the group's bot.config.json or remove some")]);
        }
        if (projectFile.Span.StartsWith("\uFEFF"u8))
        {
            projectFile = projectFile[3..];
        }

        var loaded = PolicyConfigLoader.Load(projectFile, sourceName, group.RegexTimeout, group.Limits);
        // The group's own checks of a bot-wide section (e.g. projects.locked naming this file's policies) do not apply: it is refused below.
        var errors = loaded.Errors.Where(e => !BotWide.Any(f => IsAtOrBelow(e.Path, JsonPath.Property(JsonPath.Root, f)))).ToList();

        JsonPositions? positions = null;
        try
        {
            using var document = JsonDocument.Parse(projectFile, DocumentOptions);
            positions = JsonPositions.Build(projectFile.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                CheckSections(group.Projects, document.RootElement, positions, errors);
                CheckLimits(document.RootElement, positions, errors);
            }
        }
        catch (JsonException)
        {
            // The loader has reported it with its line.
        }

        if (errors.Count > 0 || loaded.Config is not { } project)
        {
            return Failed(errors);
        }

        var source = project.Source;
        var projectNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var groupPolicies = (group.Source.Policies ?? []).ToList();
        var added = new List<PolicyConfig>();
        var projectPolicies = source.Policies ?? [];
        for (var i = 0; i < projectPolicies.Count; i++)
        {
            var policy = projectPolicies[i];
            projectNames.Add(policy.Name);
            var replaced = groupPolicies.FindIndex(p => string.Equals(p.Name, policy.Name, StringComparison.OrdinalIgnoreCase));
            if (replaced < 0)
            {
                added.Add(policy);
            }
            else if (group.Projects.IsLocked(policy.Name))
            {
                var path = JsonPath.Property(JsonPath.Index(JsonPath.Property(JsonPath.Root, PoliciesSection), i), "name");
                errors.Add(new ConfigError(path, positions?.LineOf(path),
                    $"\"{policy.Name}\" is a locked group policy: a project file cannot replace or disable it (give this policy another name, or ask the bot's operators to leave it out of projects.locked)"));
            }
            else
            {
                groupPolicies[replaced] = policy;
            }
        }
        if (errors.Count > 0)
        {
            return Failed(errors);
        }

        var merged = group.Source with
        {
            Policies = [.. groupPolicies, .. added],
            Labels = MergeLabels(group.Source.Labels, source.Labels),
            SizeLabels = source.SizeLabels ?? group.Source.SizeLabels,
            Reviewers = MergeReviewers(group.Source.Reviewers, source.Reviewers),
            NeedsRebase = source.NeedsRebase ?? group.Source.NeedsRebase,
            SummaryComment = source.SummaryComment ?? group.Source.SummaryComment,
        };
        var compileErrors = new List<ConfigError>();
        var effective = new ConfigCompiler(
            (path, message) => compileErrors.Add(new ConfigError(path, null, message)),
            _ => false,
            group.RegexTimeout ?? PolicyConfigLoader.DefaultRegexTimeout,
            group.Limits)
        {
            OriginOf = name => projectNames.Contains(name) ? PolicyOrigin.Project : PolicyOrigin.Group,
        }.Compile(merged, $"{group.SourceName} + {sourceName}");
        // Each part was valid on its own; a failure here would be a merge the checks above missed: refuse rather than guess.
        return compileErrors.Count == 0 ? new ProjectConfigResult(effective, []) : Failed(compileErrors);
    }

    private static void CheckSections(CompiledProjects projects, JsonElement root, JsonPositions positions, List<ConfigError> errors)
    {
        foreach (var property in root.EnumerateObject())
        {
            var path = JsonPath.Property(JsonPath.Root, property.Name);
            if (BotWide.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(new ConfigError(path, positions.LineOf(path),
                    $"\"{property.Name}\" is bot-wide: a project file cannot set it (only the group's bot.config.json does); remove it"));
            }
            else if (Sections.Contains(property.Name, StringComparer.Ordinal) && !projects.Allow.Contains(property.Name))
            {
                var allowed = projects.Allow.Count == 0 ? "nothing" : string.Join(", ", Sections.Where(projects.Allow.Contains));
                errors.Add(new ConfigError(path, positions.LineOf(path),
                    $"\"{property.Name}\" is not allowed in project files by the group's bot.config.json (projects.allow: {allowed}); remove it or ask the bot's operators"));
            }
        }
    }

    private static void CheckLimits(JsonElement root, JsonPositions positions, List<ConfigError> errors)
    {
        void Report(string path, string message) => errors.Add(new ConfigError(path, positions.LineOf(path), message));

        if (!root.TryGetProperty(PoliciesSection, out var policies) || policies.ValueKind != JsonValueKind.Array)
        {
            return;
        }
        var policiesPath = JsonPath.Property(JsonPath.Root, PoliciesSection);
        if (policies.GetArrayLength() > MaxPolicies)
        {
            Report(policiesPath, $"{policies.GetArrayLength()} policies; a project file may hold at most {MaxPolicies}: merge some, or move shared ones to the group's bot.config.json");
        }
        var index = 0;
        foreach (var policy in policies.EnumerateArray())
        {
            var policyPath = JsonPath.Index(policiesPath, index++);
            if (policy.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            if (policy.TryGetProperty("when", out var when))
            {
                CheckCondition(when, JsonPath.Property(policyPath, "when"), Report);
            }
            if (policy.TryGetProperty("then", out var then) && then.ValueKind == JsonValueKind.Object
                && then.TryGetProperty("comment", out var comment) && comment.ValueKind == JsonValueKind.String
                && Encoding.UTF8.GetByteCount(comment.GetString()!) is var bytes && bytes > MaxTemplateBytes)
            {
                Report(JsonPath.Property(JsonPath.Property(policyPath, "then"), "comment"),
                    $"the comment template is {bytes} bytes; at most {MaxTemplateBytes} in a project file: shorten it");
            }
        }
    }

    private static void CheckCondition(JsonElement condition, string path, Action<string, string> report)
    {
        if (condition.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var property in condition.EnumerateObject())
        {
            var propertyPath = JsonPath.Property(path, property.Name);
            switch (property.Name)
            {
                case "title" or "description" or "commitMessages" when property.Value.ValueKind == JsonValueKind.String:
                    var length = property.Value.GetString()!.Length;
                    if (length > MaxRegexLength)
                    {
                        report(propertyPath, $"the regular expression is {length} characters; at most {MaxRegexLength} in a project file: shorten it");
                    }
                    break;
                case "any" or "all" when property.Value.ValueKind == JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in property.Value.EnumerateArray())
                    {
                        CheckCondition(item, JsonPath.Index(propertyPath, i++), report);
                    }
                    break;
                case "not":
                    CheckCondition(property.Value, propertyPath, report);
                    break;
            }
        }
    }

    private static Dictionary<string, string>? MergeLabels(IReadOnlyDictionary<string, string>? group, IReadOnlyDictionary<string, string>? project)
    {
        if (group is null && project is null)
        {
            return null;
        }
        var merged = new Dictionary<string, string>(group ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (name, color) in project ?? new Dictionary<string, string>())
        {
            merged[name] = color;
        }
        return merged;
    }

    /// <summary>Field by field; the group's <c>exclude</c> stays (a project adds to it, never takes a name out).</summary>
    private static ReviewersConfig? MergeReviewers(ReviewersConfig? group, ReviewersConfig? project) =>
        project is null ? group
        : group is null ? project
        : new ReviewersConfig
        {
            Count = project.Count ?? group.Count,
            CodeOwners = project.CodeOwners ?? group.CodeOwners,
            Strategy = project.Strategy ?? group.Strategy,
            SkipBusy = project.SkipBusy ?? group.SkipBusy,
            SkipDrafts = project.SkipDrafts ?? group.SkipDrafts,
            Exclude = [.. (group.Exclude ?? []).Concat(project.Exclude ?? []).Distinct(StringComparer.OrdinalIgnoreCase)],
        };

    private static bool IsAtOrBelow(string path, string root) =>
        path == root || path.StartsWith(root + ".", StringComparison.Ordinal) || path.StartsWith(root + "[", StringComparison.Ordinal);

    private static ProjectConfigResult Failed(List<ConfigError> errors) =>
        new(null, errors.DistinctBy(e => (e.Path, e.Message)).OrderBy(e => e.Line ?? 0).ToList());
}
