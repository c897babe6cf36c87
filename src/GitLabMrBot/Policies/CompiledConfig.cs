using Fluid;
using GitLabMrBot.Configuration;
using GitLabMrBot.Policies.Config;

namespace GitLabMrBot.Policies;

/// <summary>
/// A validated <c>bot.config.json</c> with every regex, glob and template compiled once. Immutable:
/// a reload builds a new one and swaps it in (<see cref="PolicyConfigProvider"/>).
/// </summary>
public sealed class CompiledConfig
{
    internal CompiledConfig(BotConfig source, string sourceName)
    {
        Source = source;
        SourceName = sourceName;
    }

    /// <summary>The configuration as written.</summary>
    public BotConfig Source { get; }

    /// <summary>Where it was read from (a path, or a name given by the caller).</summary>
    public string SourceName { get; }

    public IReadOnlyList<CompiledPolicy> Policies { get; internal init; } = [];

    /// <summary>Label name → colour (#RRGGBB) for labels the bot creates when the project lacks them.</summary>
    public IReadOnlyDictionary<string, string> LabelColors { get; internal init; } = new Dictionary<string, string>();

    public CompiledSizeLabels? SizeLabels { get; internal init; }
    public CompiledReviewers Reviewers { get; internal init; } = CompiledReviewers.Default;
    public string? NeedsRebaseLabel { get; internal init; }
    public bool SummaryComment { get; internal init; } = true;
    public bool DryRun { get; internal init; }
    public Uri? GitLabUrl { get; internal init; }

    /// <summary>Group full paths the reconcile sweep lists open MRs of (<c>sweep.groups</c>).</summary>
    public IReadOnlyList<string> SweepGroups { get; internal init; } = [];

    /// <summary>The time budget for regular expressions of each evaluation; null: each match is bounded by its own timeout only.</summary>
    public EvaluationLimits? Limits { get; internal init; }

    /// <summary>What project files may set (<c>projects</c>); <see cref="CompiledProjects.Off"/> when the section is absent.</summary>
    public CompiledProjects Projects { get; internal init; } = CompiledProjects.Off;

    /// <summary>How long one regex match may run; a project's effective config is compiled with the same.</summary>
    internal TimeSpan? RegexTimeout { get; init; }

    /// <summary>Some condition reads commit messages: only then does the reconciler fetch the MR's commits.</summary>
    public bool UsesCommitMessages { get; internal init; }
}

public sealed class CompiledPolicy
{
    internal CompiledPolicy(string name, ICondition when, ActionsConfig then, IFluidTemplate? comment)
    {
        Name = name;
        When = when;
        Then = then;
        Comment = comment;
    }

    public string Name { get; }

    /// <summary>Whether the policy comes from the group's <c>bot.config.json</c> or the project's own file (named in the summary).</summary>
    public PolicyOrigin Origin { get; internal init; }

    public ActionsConfig Then { get; }
    internal ICondition When { get; }
    internal IFluidTemplate? Comment { get; }
}

public enum PolicyOrigin
{
    Group,
    Project,
}

/// <summary>The <c>projects</c> section: whether project files are read, what they may set, which group policies they may not replace.</summary>
public sealed record CompiledProjects(bool Enabled, IReadOnlySet<string> Allow, bool LockAll, IReadOnlySet<string> Locked)
{
    public static CompiledProjects Off { get; } = new(false, new HashSet<string>(StringComparer.Ordinal), true, new HashSet<string>(StringComparer.OrdinalIgnoreCase));

    public bool IsLocked(string policyName) => LockAll || Locked.Contains(policyName);
}

/// <summary>Size labels: <c>prefix + name</c> of the first threshold the line count does not exceed, else <c>largest</c>.</summary>
public sealed record CompiledSizeLabels(string Prefix, IReadOnlyList<SizeThreshold> Thresholds, string Largest, IReadOnlyList<Glob> Ignore)
{
    public IEnumerable<string> AllLabels => Thresholds.Select(t => Prefix + t.Name).Append(Prefix + Largest);

    public bool IsSizeLabel(string label) => AllLabels.Contains(label, StringComparer.Ordinal);
}

public sealed record SizeThreshold(string Name, int MaxLines);

public enum ReviewerStrategy
{
    LeastLoaded,
    RoundRobin,
    Random,
}

/// <summary>The <c>reviewers</c> section with its defaults applied.</summary>
public sealed record CompiledReviewers(int Count, bool CodeOwners, ReviewerStrategy Strategy, bool SkipBusy, bool SkipDrafts, IReadOnlySet<string> Exclude)
{
    public static CompiledReviewers Default { get; } = new(1, false, ReviewerStrategy.LeastLoaded, false, true, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
}
