namespace GitLabMrBot.Policies;

/// <summary>
/// How the sweep treats merge requests opened before the bot was installed (<c>sweep.existingMergeRequests</c>,
/// docs/contract.md): the first sweep finds every open MR of <c>sweep.groups</c>, and a note on each of them would be
/// news to people who never asked for the bot.
/// </summary>
public enum ExistingMergeRequests
{
    /// <summary>Labels only: no summary note, no policy comments, no reviewers or assignees (the default).</summary>
    Labels,

    /// <summary>The full treatment, as for any other MR.</summary>
    Full,

    /// <summary>Not evaluated at all.</summary>
    Skip,
}

/// <summary>What one evaluation does to an MR, given <see cref="ExistingMergeRequests"/>.</summary>
public enum Treatment
{
    Full,
    LabelsOnly,
    Skipped,
}

/// <summary>
/// The rule: an MR opened before the installation, evaluated because the sweep found it and never because of an event,
/// gets what <see cref="ExistingMergeRequests"/> says. Once an event of it reached the bot (a person touched it after the
/// installation) it is treated as any other MR, from then on.
/// </summary>
public static class ExistingMergeRequestRule
{
    /// <summary>The configuration values, as written in bot.config.json.</summary>
    public static readonly string[] Names = ["labels", "full", "skip"];

    /// <summary>Opened before <paramref name="installedAt"/>; an MR whose creation time GitLab did not give counts as new.</summary>
    public static bool OpenedBefore(DateTimeOffset? createdAt, DateTimeOffset installedAt) => createdAt is { } created && created < installedAt;

    public static Treatment Decide(ExistingMergeRequests setting, bool openedBeforeInstallation, bool sweepOnly, bool eventSeen) =>
        setting == ExistingMergeRequests.Full || !openedBeforeInstallation || !sweepOnly || eventSeen ? Treatment.Full
        : setting == ExistingMergeRequests.Skip ? Treatment.Skipped
        : Treatment.LabelsOnly;

    /// <summary>The plan with its labels only: no comments, no summary note, no reviewers or assignees.</summary>
    public static Plan LabelsOnly(Plan plan) => plan with
    {
        Comments = [],
        SummaryComment = false,
        People = null,
        Decisions = [.. plan.Decisions.Where(d => d.Kind is not (DecisionKind.CommentAlreadyPosted or DecisionKind.CommentFailed))],
    };

    /// <summary>The words for <paramref name="treatment"/> in logs, the decision log and <c>plan</c>'s output.</summary>
    public static string Describe(Treatment treatment) => treatment switch
    {
        Treatment.LabelsOnly => "labels only: open before the installation",
        Treatment.Skipped => "skipped: open before the installation",
        _ => "full",
    };
}
