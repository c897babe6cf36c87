using System.ComponentModel;
using System.Text.Json.Serialization;
using GitLabMrBot.Configuration;

namespace GitLabMrBot.Policies.Config;

// The typed shape of bot.config.json (docs/contract.md §5). The JSON schema is generated from these
// records (BotConfigSchema), so descriptions here are what editors show while writing the file.
// Optional sections are null when absent; lists are null when absent (the compiler treats null as empty).

/// <summary>The whole <c>bot.config.json</c>.</summary>
public sealed record BotConfig
{
    [JsonPropertyName("$schema")]
    [Description("Path or URL of the JSON schema, for editors (\"./bot.config.schema.json\").")]
    public string? Schema { get; init; }

    [Description("GitLab connection (no secrets: the token comes from GITLAB_TOKEN).")]
    public GitLabConfig? Gitlab { get; init; }

    [Description("Labels the bot creates with these colours (#RRGGBB) if the project lacks them.")]
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    [Description("Policies, evaluated in order: when every condition of `when` holds, the actions of `then` apply.")]
    public IReadOnlyList<PolicyConfig>? Policies { get; init; }

    [Description("Exactly one size label at a time, from added+deleted lines.")]
    public SizeLabelsConfig? SizeLabels { get; init; }

    [Description("How reviewers are picked to fill empty slots.")]
    public ReviewersConfig? Reviewers { get; init; }

    [Description("A label present exactly while GitLab reports the MR as conflicting or needing a rebase.")]
    public NeedsRebaseConfig? NeedsRebase { get; init; }

    [Description("The reconcile sweep, which periodically re-evaluates open MRs updated since the last sweep (events GitLab never delivered).")]
    public SweepConfig? Sweep { get; init; }

    [Description("What each project's own file (.gitlab/mrbot.json or .mrbot.json on its default branch) may set. Absent: project files are not read.")]
    public ProjectsConfig? Projects { get; init; }

    [Description("Post (and keep up to date) one comment per MR explaining every decision. Default true.")]
    public bool? SummaryComment { get; init; }

    [Description("Evaluate and log every plan, write nothing to GitLab. Default false.")]
    public bool? DryRun { get; init; }
}

public sealed record GitLabConfig
{
    [Description("GitLab base URL, e.g. https://gitlab.example.com (GITLAB_URL overrides it).")]
    public string? Url { get; init; }
}

public sealed record PolicyConfig
{
    [Description("Unique name, shown in the bot's comments as the reason for each decision.")]
    public required string Name { get; init; }

    [Description("Conditions: all of them must hold.")]
    public required ConditionConfig When { get; init; }

    [Description("Actions applied while the conditions hold.")]
    public required ActionsConfig Then { get; init; }
}

/// <summary>A condition: every field present must hold (an implicit "all").</summary>
public sealed record ConditionConfig
{
    [Description("Globs: some changed path matches some glob. `*` stays within a path segment, `**` crosses segments.")]
    public IReadOnlyList<string>? ChangedFiles { get; init; }

    [Description("Globs: every changed path matches some glob (and there is at least one changed path).")]
    public IReadOnlyList<string>? OnlyChangedFiles { get; init; }

    [Description("Regular expression (case-insensitive) the title must match.")]
    public string? Title { get; init; }

    [Description("Regular expression (case-insensitive) the description must match.")]
    public string? Description { get; init; }

    [Description("Glob the source branch must match.")]
    public string? SourceBranch { get; init; }

    [Description("Glob the target branch must match.")]
    public string? TargetBranch { get; init; }

    [Description("Usernames: the MR's author is one of them.")]
    public IReadOnlyList<string>? Author { get; init; }

    [Description("The MR's draft state must equal this.")]
    public bool? Draft { get; init; }

    [Description("Labels that must all be present on the MR.")]
    public IReadOnlyList<string>? Labels { get; init; }

    [Description("Range of added+deleted lines.")]
    public RangeConfig? LinesChanged { get; init; }

    [Description("Range of the number of changed files.")]
    public RangeConfig? FilesChanged { get; init; }

    [Description("Regular expression (case-insensitive) that some commit message matches.")]
    public string? CommitMessages { get; init; }

    [Description("Some of these conditions holds.")]
    public IReadOnlyList<ConditionConfig>? Any { get; init; }

    [Description("All of these conditions hold.")]
    public IReadOnlyList<ConditionConfig>? All { get; init; }

    [Description("This condition does not hold.")]
    public ConditionConfig? Not { get; init; }
}

public sealed record RangeConfig
{
    [Description("Inclusive minimum.")]
    public int? Min { get; init; }

    [Description("Inclusive maximum.")]
    public int? Max { get; init; }
}

public sealed record ActionsConfig
{
    [Description("Labels to add.")]
    public IReadOnlyList<string>? AddLabels { get; init; }

    [Description("Labels to remove (only ever removed if the bot added them: humans win).")]
    public IReadOnlyList<string>? RemoveLabels { get; init; }

    [Description("Reviewer candidates for this policy.")]
    public ReviewersActionConfig? Reviewers { get; init; }

    [Description("Assignees: \"author\" or {\"users\": [...]}. Only fills an empty assignee list.")]
    public AssigneesConfig? Assignees { get; init; }

    [Description("A Liquid template posted once per MR (variables: mr.title, mr.iid, mr.source_branch, mr.target_branch, mr.author, mr.labels, mr.web_url, policy.name).")]
    public string? Comment { get; init; }
}

public sealed record ReviewersActionConfig
{
    [Description("Usernames to pick reviewers from.")]
    public required IReadOnlyList<string> Users { get; init; }

    [Description("How many of them to request (at least 1). Default: the global reviewers.count.")]
    public int? Count { get; init; }
}

/// <summary>
/// <c>"assignees": "author"</c> or <c>"assignees": {"users": ["alice"]}</c>: the string form has its own
/// converter, so the schema for this type is written by hand in <see cref="BotConfigSchema"/>.
/// </summary>
[JsonConverter(typeof(AssigneesConfigConverter))]
public sealed record AssigneesConfig
{
    public const string AuthorKeyword = "author";

    /// <summary>Assign the MR's author.</summary>
    public bool Author { get; init; }

    public IReadOnlyList<string> Users { get; init; } = [];
}

public sealed record SizeLabelsConfig
{
    [Description("Prefix of every size label. Default \"size::\" (a scoped label).")]
    public string? Prefix { get; init; }

    [Description("Size name → largest line count for that size, increasing: {\"XS\": 10, \"S\": 100}.")]
    public required IReadOnlyDictionary<string, int> Thresholds { get; init; }

    [Description("Size name above the last threshold.")]
    public required string Largest { get; init; }

    [Description("Globs of files whose lines do not count (lock files, generated code).")]
    public IReadOnlyList<string>? Ignore { get; init; }
}

public sealed record ReviewersConfig
{
    [Description("Fill up to this many reviewers when the MR has fewer. Default 1.")]
    public int? Count { get; init; }

    [Description("Also take candidates from the CODEOWNERS file of the target branch.")]
    public bool? CodeOwners { get; init; }

    [Description("least-loaded (fewest open reviews), round-robin or random (deterministic per MR).")]
    public string? Strategy { get; init; }

    [Description("Skip users whose GitLab status is busy.")]
    public bool? SkipBusy { get; init; }

    [Description("Request nobody while the MR is a draft.")]
    public bool? SkipDrafts { get; init; }

    [Description("Usernames never requested.")]
    public IReadOnlyList<string>? Exclude { get; init; }
}

public sealed record NeedsRebaseConfig
{
    [Description("The label present while the MR conflicts or needs a rebase.")]
    public required string Label { get; init; }
}

public sealed record SweepConfig
{
    [Description("Full paths of groups (e.g. \"acme\" or \"acme/platform\") whose open MRs, subgroups included, every sweep covers, besides the projects the bot has seen events from.")]
    public IReadOnlyList<string>? Groups { get; init; }
}

/// <summary>The group's say over project files (docs/contract.md §5): which sections they may set, which group policies they may not replace.</summary>
public sealed record ProjectsConfig
{
    [Description("Sections a project file may set: policies, labels, sizeLabels, reviewers, needsRebase, summaryComment. Default [\"policies\"] (a project file may only add policies).")]
    public IReadOnlyList<string>? Allow { get; init; }

    [Description("Names of group policies a project policy of the same name may not replace; \"*\" locks them all. Default [\"*\"]: a project file only adds.")]
    public IReadOnlyList<string>? Locked { get; init; }
}
