using System.Text.RegularExpressions;

namespace GitLabMrBot.Policies;

/// <summary>
/// What a condition saw: whether it holds and, either way, a sentence saying why (for reasons). <see cref="Undecided"/>
/// says the condition could not tell (a regex timed out, GitLab did not return the whole diff): it does not hold, and
/// neither does its negation.
/// </summary>
internal readonly record struct ConditionResult(bool Matched, string Detail, DecisionKind? Undecided = null)
{
    public bool IsUndecided => Undecided is not null;

    public static ConditionResult Timeout(string detail) => new(false, detail, DecisionKind.RegexTimeout);

    /// <summary>The evaluation's or the policy's time for regular expressions ran out before this one could tell.</summary>
    public static ConditionResult OutOfTime(string detail) => new(false, detail, DecisionKind.TimeBudgetExceeded);

    /// <summary>The answer depends on changes GitLab did not return (docs/gitlab-behaviour.md §3.2).</summary>
    public static ConditionResult Unseen(string detail) => new(false, detail, DecisionKind.DiffIncomplete);
}

/// <summary>The MR as conditions see it: the snapshot, plus the labels it will carry (see PolicyEngine).</summary>
internal sealed record EvaluationInput(MergeRequestSnapshot Snapshot, IReadOnlySet<string> Labels)
{
    /// <summary>The time regular expressions may still take; null runs each match with its own timeout only.</summary>
    public EvaluationBudget? Budget { get; init; }

    /// <summary>Lines of the files whose diff GitLab returned: a lower bound when <see cref="LinesIncomplete"/> says why.</summary>
    public int LinesChanged { get; } = Snapshot.ChangedFiles.Sum(f => f.ChangedLines);

    /// <summary>Null when <see cref="LinesChanged"/> is exact; else what GitLab left out.</summary>
    public string? LinesIncomplete { get; } = IncompleteDiff.Describe(Snapshot);

    /// <summary>Null when the changed files are all listed; else what GitLab left out.</summary>
    public string? FilesIncomplete { get; } = Snapshot.FilesUnlisted ? IncompleteDiff.Describe(Snapshot) : null;
}

/// <summary>A compiled condition of a policy's <c>when</c>.</summary>
internal interface ICondition
{
    ConditionResult Evaluate(EvaluationInput input);
}

internal sealed class AllCondition(IReadOnlyList<ICondition> parts) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input)
    {
        var details = new List<string>(parts.Count);
        ConditionResult? undecided = null;
        foreach (var part in parts)
        {
            var result = part.Evaluate(input);
            if (result.IsUndecided)
            {
                // A part that fails for sure decides; one that could not tell decides only if none does.
                undecided ??= result;
                continue;
            }
            if (!result.Matched)
            {
                return result;
            }
            details.Add(result.Detail);
        }
        return undecided ?? new(true, string.Join("; ", details));
    }
}

internal sealed class AnyCondition(IReadOnlyList<ICondition> parts) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input)
    {
        var misses = new List<string>(parts.Count);
        ConditionResult? undecided = null;
        foreach (var part in parts)
        {
            var result = part.Evaluate(input);
            if (result.Matched)
            {
                return result;
            }
            undecided ??= result.IsUndecided ? result : null;
            misses.Add(result.Detail);
        }
        return undecided ?? new(false, "none of: " + string.Join("; ", misses));
    }
}

internal sealed class NotCondition(ICondition inner) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input)
    {
        var result = inner.Evaluate(input);
        // A regex that timed out, or a question about changes GitLab did not return, proves nothing: its negation must not hold either.
        return result.IsUndecided ? result : new(!result.Matched, result.Detail);
    }
}

internal sealed class ChangedFilesCondition(IReadOnlyList<Glob> globs) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input)
    {
        foreach (var file in input.Snapshot.ChangedFiles)
        {
            foreach (var glob in globs)
            {
                if (glob.IsMatch(file.Path) || (file.OldPath is { } old && old != file.Path && glob.IsMatch(old)))
                {
                    return new(true, $"changed file {file.Path} matches {glob}");
                }
            }
        }
        // A file GitLab did not list may match: neither "changes" nor "does not change" can be said.
        return input.FilesIncomplete is { } unseen
            ? ConditionResult.Unseen($"no listed file matches {string.Join(", ", globs)}, and GitLab did not list them all ({unseen})")
            : new(false, $"no changed file matches {string.Join(", ", globs)}");
    }
}

internal sealed class OnlyChangedFilesCondition(IReadOnlyList<Glob> globs) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input)
    {
        var files = input.Snapshot.ChangedFiles;
        if (files.Count == 0)
        {
            return new(false, "no changed files");
        }
        foreach (var file in files)
        {
            if (!globs.Any(g => g.IsMatch(file.Path)))
            {
                return new(false, $"changed file {file.Path} matches none of {string.Join(", ", globs)}");
            }
        }
        if (input.FilesIncomplete is { } unseen)
        {
            // The files GitLab did not list may match none of the globs: "only these files" cannot hold.
            return ConditionResult.Unseen($"the listed files match {string.Join(", ", globs)}, but GitLab did not list them all ({unseen})");
        }
        return new(true, files.Count == 1
            ? $"the only changed file {files[0].Path} matches {string.Join(", ", globs)}"
            : $"all {files.Count} changed files match {string.Join(", ", globs)}");
    }
}

internal sealed class RegexCondition(string subject, TimedRegex regex, Func<MergeRequestSnapshot, string> read, bool quoteValue) : ICondition
{
    public TimedRegex Regex => regex;

    public ConditionResult Evaluate(EvaluationInput input) =>
        input.Budget is { } budget ? budget.Once(this, () => EvaluateOnce(input)) : EvaluateOnce(input);

    private ConditionResult EvaluateOnce(EvaluationInput input)
    {
        var value = read(input.Snapshot);
        var shown = quoteValue ? $"{subject} \"{Shorten(value)}\"" : subject;
        return regex.Match(value, input.Budget) switch
        {
            MatchOutcome.Match => new(true, $"{shown} matches /{regex}/"),
            MatchOutcome.NoMatch => new(false, $"{shown} does not match /{regex}/"),
            MatchOutcome.TimedOut => ConditionResult.Timeout($"{subject} regex /{regex}/ timed out after {regex.MatchTimeout.TotalMilliseconds:0} ms (treated as not matching)"),
            _ => ConditionResult.OutOfTime($"{subject} regex /{regex}/ not run to the end: {input.Budget!.DescribeExhausted()} (skipped: neither it nor its negation holds)"),
        };
    }

    internal static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= 80 ? line : line[..77] + "...";
    }
}

internal sealed class CommitMessagesCondition(TimedRegex regex) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input) =>
        input.Budget is { } budget ? budget.Once(this, () => EvaluateOnce(input)) : EvaluateOnce(input);

    private ConditionResult EvaluateOnce(EvaluationInput input)
    {
        var messages = input.Snapshot.CommitMessages;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            switch (regex.Match(message, input.Budget))
            {
                case MatchOutcome.Match:
                    var firstLine = message.Split('\n', 2)[0].Trim();
                    return new(true, $"commit message \"{RegexCondition.Shorten(firstLine)}\" matches /{regex}/");
                case MatchOutcome.TimedOut:
                    return ConditionResult.Timeout($"commit message regex /{regex}/ timed out after {regex.MatchTimeout.TotalMilliseconds:0} ms (treated as not matching)");
                case MatchOutcome.OutOfBudget:
                    // Not how many were checked: that varies with the machine's load, and the summary would be edited each time.
                    return ConditionResult.OutOfTime($"commit message regex /{regex}/ not run on all {messages.Count} commit messages: {input.Budget!.DescribeExhausted()} (skipped: neither it nor its negation holds)");
            }
        }
        return new(false, $"no commit message matches /{regex}/");
    }
}

internal sealed class BranchCondition(string subject, Glob glob, Func<MergeRequestSnapshot, string> read) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input)
    {
        var branch = read(input.Snapshot);
        return glob.IsMatch(branch)
            ? new(true, $"{subject} {branch} matches {glob}")
            : new(false, $"{subject} {branch} does not match {glob}");
    }
}

internal sealed class AuthorCondition(IReadOnlyList<string> usernames) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input)
    {
        var author = input.Snapshot.AuthorUsername;
        // GitLab usernames are case-insensitive.
        return usernames.Contains(author, StringComparer.OrdinalIgnoreCase)
            ? new(true, $"author {author} is listed")
            : new(false, $"author {(author.Length == 0 ? "(unknown)" : author)} is not one of {string.Join(", ", usernames)}");
    }
}

internal sealed class DraftCondition(bool draft) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input) =>
        new(input.Snapshot.Draft == draft, input.Snapshot.Draft ? "the MR is a draft" : "the MR is not a draft");
}

internal sealed class LabelsCondition(IReadOnlyList<string> labels) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input)
    {
        var missing = labels.Where(l => !input.Labels.Contains(l)).ToList();
        return missing.Count == 0
            ? new(true, labels.Count == 1 ? $"label {labels[0]} is present" : $"labels {string.Join(", ", labels)} are present")
            : new(false, $"label {string.Join(", ", missing)} is missing");
    }
}

/// <param name="incomplete">Null when the value read is exact; else why it is only a lower bound (GitLab left changes out).</param>
internal sealed class RangeCondition(string subject, int? min, int? max, Func<EvaluationInput, int> read, Func<EvaluationInput, string?>? incomplete = null) : ICondition
{
    public ConditionResult Evaluate(EvaluationInput input)
    {
        var value = read(input);
        var inside = (min is null || value >= min) && (max is null || value <= max);
        var range = (min, max) switch
        {
            ({ } lo, { } hi) => $"{lo}..{hi}",
            ({ } lo, null) => $"at least {lo}",
            (null, { } hi) => $"at most {hi}",
            _ => "any",
        };
        if (incomplete?.Invoke(input) is { } unseen && !(max is not null && value > max) && !(inside && max is null))
        {
            // The true value is at least this: past the maximum is certain, anything else is not.
            return ConditionResult.Unseen($"at least {value} {subject}, GitLab did not return the rest ({unseen}); {range} cannot be told");
        }
        var shown = incomplete?.Invoke(input) is null ? $"{value}" : $"at least {value}";
        return new(inside, $"{shown} {subject} ({(inside ? "within" : "outside")} {range})");
    }
}
