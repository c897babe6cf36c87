using System.Text.RegularExpressions;
using Fluid;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Config;

namespace GitLabMrBot.Configuration;

/// <summary>
/// Semantic checks and compilation in one pass: each regex, glob and template is compiled exactly
/// once, and a failure is reported at its JSON path. The result is only used when nothing was reported.
/// Null entries (parts the shape check rejected) are skipped: they already have an error.
/// </summary>
internal sealed partial class ConfigCompiler(Action<string, string> report, Func<string, bool> hasErrorsBelow, TimeSpan regexTimeout, EvaluationLimits? limits = null)
{
    private static readonly string[] Strategies = ["least-loaded", "round-robin", "random"];
    private bool _usesCommitMessages;

    /// <summary>Where each policy comes from, by name (a project's effective config); null: all from the group.</summary>
    internal Func<string, PolicyOrigin>? OriginOf { get; init; }

    public CompiledConfig Compile(BotConfig config, string sourceName)
    {
        const string root = JsonPath.Root;
        var gitLabUrl = CompileGitLab(config.Gitlab, JsonPath.Property(root, "gitlab"));
        var colors = CompileLabelColors(config.Labels, JsonPath.Property(root, "labels"));
        var policies = CompilePolicies(config.Policies, JsonPath.Property(root, "policies"));
        var size = config.SizeLabels is null ? null : CompileSizeLabels(config.SizeLabels, JsonPath.Property(root, "sizeLabels"));
        var reviewers = config.Reviewers is null ? CompiledReviewers.Default : CompileReviewers(config.Reviewers, JsonPath.Property(root, "reviewers"));
        string? needsRebase = null;
        if (config.NeedsRebase?.Label is { } label)
        {
            needsRebase = CheckLabel(label, JsonPath.Property(JsonPath.Property(root, "needsRebase"), "label")) ? label : null;
        }

        var projects = CompileProjects(config.Projects, config.Policies, JsonPath.Property(root, "projects"));
        var sweepGroups = CompileSweepGroups(config.Sweep?.Groups, JsonPath.Property(JsonPath.Property(root, "sweep"), "groups"));

        return new CompiledConfig(config, sourceName)
        {
            SweepGroups = sweepGroups,
            Policies = policies,
            LabelColors = colors,
            SizeLabels = size,
            Reviewers = reviewers,
            NeedsRebaseLabel = needsRebase,
            SummaryComment = config.SummaryComment ?? true,
            DryRun = config.DryRun ?? false,
            GitLabUrl = gitLabUrl,
            UsesCommitMessages = _usesCommitMessages,
            Limits = limits,
            RegexTimeout = regexTimeout,
            Projects = projects,
        };
    }

    private CompiledProjects CompileProjects(ProjectsConfig? projects, IReadOnlyList<PolicyConfig?>? policies, string path)
    {
        if (projects is null)
        {
            return CompiledProjects.Off;
        }
        var allow = new HashSet<string>(StringComparer.Ordinal);
        var allowPath = JsonPath.Property(path, "allow");
        var allowed = projects.Allow ?? [ProjectConfigCompiler.PoliciesSection];
        for (var i = 0; i < allowed.Count; i++)
        {
            if (allowed[i] is not { } section)
            {
                continue;
            }
            if (!ProjectConfigCompiler.Sections.Contains(section, StringComparer.Ordinal))
            {
                report(JsonPath.Index(allowPath, i), $"\"{section}\" is not a section a project file can set: use some of {string.Join(", ", ProjectConfigCompiler.Sections)}");
            }
            allow.Add(section);
        }
        var locked = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var lockAll = projects.Locked is null;
        var lockedPath = JsonPath.Property(path, "locked");
        var names = (policies ?? []).Where(p => p?.Name is not null).Select(p => p!.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < (projects.Locked?.Count ?? 0); i++)
        {
            if (projects.Locked![i] is not { } name)
            {
                continue;
            }
            if (name == "*")
            {
                lockAll = true;
            }
            else if (!names.Contains(name))
            {
                report(JsonPath.Index(lockedPath, i), $"\"{name}\" is not the name of a policy of this file (\"*\" locks them all)");
            }
            locked.Add(name);
        }
        return new CompiledProjects(true, allow, lockAll, locked);
    }

    private List<string> CompileSweepGroups(IReadOnlyList<string>? groups, string path)
    {
        var result = new List<string>();
        for (var i = 0; i < (groups?.Count ?? 0); i++)
        {
            var group = groups![i]?.Trim().Trim('/');
            if (string.IsNullOrEmpty(group))
            {
                report(JsonPath.Index(path, i), "a group's full path must not be empty (e.g. \"acme\" or \"acme/platform\")");
            }
            else if (result.Contains(group, StringComparer.OrdinalIgnoreCase))
            {
                report(JsonPath.Index(path, i), $"group \"{group}\" is listed twice");
            }
            else
            {
                result.Add(group);
            }
        }
        return result;
    }

    private Uri? CompileGitLab(GitLabConfig? gitlab, string path)
    {
        if (gitlab?.Url is not { } text)
        {
            return null;
        }
        if (GitLabBaseUrl.TryParse(text, out var url))
        {
            return url;
        }
        report(JsonPath.Property(path, "url"), $"\"{text}\" is not an http(s) URL such as https://gitlab.example.com");
        return null;
    }

    private Dictionary<string, string> CompileLabelColors(IReadOnlyDictionary<string, string>? labels, string path)
    {
        var colors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, color) in labels ?? new Dictionary<string, string>())
        {
            var labelPath = JsonPath.Property(path, name);
            var ok = CheckLabel(name, labelPath);
            if (color is null)
            {
                continue;
            }
            if (!ColorPattern().IsMatch(color))
            {
                report(labelPath, $"colour \"{color}\" is not #RRGGBB (six hex digits, like #1f75cb)");
                ok = false;
            }
            if (ok)
            {
                colors[name] = color;
            }
        }
        return colors;
    }

    private List<CompiledPolicy> CompilePolicies(IReadOnlyList<PolicyConfig?>? policies, string path)
    {
        var compiled = new List<CompiledPolicy>();
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < (policies?.Count ?? 0); i++)
        {
            var policy = policies![i];
            if (policy is null)
            {
                continue;
            }
            var policyPath = JsonPath.Index(path, i);
            var name = policy.Name;
            if (name is not null)
            {
                var namePath = JsonPath.Property(policyPath, "name");
                if (string.IsNullOrWhiteSpace(name))
                {
                    report(namePath, "a policy name must not be empty");
                }
                else if (name.Contains("-->", StringComparison.Ordinal) || name.Contains('\n') || name.Contains('\r'))
                {
                    report(namePath, "a policy name must be one line without \"-->\" (it is used in a comment marker)");
                }
                else if (names.TryGetValue(name, out var first))
                {
                    report(namePath, $"duplicate policy name \"{name}\" (also policies[{first}])");
                }
                else
                {
                    names[name] = i;
                }
            }
            var when = policy.When is null ? null : CompileCondition(policy.When, JsonPath.Property(policyPath, "when"));
            var template = policy.Then is null ? null : CompileActions(policy.Then, JsonPath.Property(policyPath, "then"));
            if (name is not null && when is not null && policy.Then is not null)
            {
                compiled.Add(new CompiledPolicy(name, when, policy.Then, template) { Origin = OriginOf?.Invoke(name) ?? PolicyOrigin.Group });
            }
        }
        return compiled;
    }

    private ICondition? CompileCondition(ConditionConfig condition, string path)
    {
        var parts = new List<ICondition>();
        var valid = true;

        void Add(ICondition? part)
        {
            if (part is null)
            {
                valid = false;
            }
            else
            {
                parts.Add(part);
            }
        }

        if (condition.ChangedFiles is { } changed)
        {
            Add(Globs(changed, JsonPath.Property(path, "changedFiles")) is { } globs ? new ChangedFilesCondition(globs) : null);
        }
        if (condition.OnlyChangedFiles is { } only)
        {
            Add(Globs(only, JsonPath.Property(path, "onlyChangedFiles")) is { } globs ? new OnlyChangedFilesCondition(globs) : null);
        }
        if (condition.Title is { } title)
        {
            Add(Regex(title, JsonPath.Property(path, "title")) is { } regex ? new RegexCondition("title", regex, s => s.Title, quoteValue: true) : null);
        }
        if (condition.Description is { } description)
        {
            Add(Regex(description, JsonPath.Property(path, "description")) is { } regex ? new RegexCondition("description", regex, s => s.Description, quoteValue: false) : null);
        }
        if (condition.SourceBranch is { } source)
        {
            Add(Glob(source, JsonPath.Property(path, "sourceBranch")) is { } glob ? new BranchCondition("source branch", glob, s => s.SourceBranch) : null);
        }
        if (condition.TargetBranch is { } target)
        {
            Add(Glob(target, JsonPath.Property(path, "targetBranch")) is { } glob ? new BranchCondition("target branch", glob, s => s.TargetBranch) : null);
        }
        if (condition.Author is { } authors)
        {
            Add(Names(authors, JsonPath.Property(path, "author"), "username") is { } users ? new AuthorCondition(users) : null);
        }
        if (condition.Draft is { } draft)
        {
            Add(new DraftCondition(draft));
        }
        if (condition.Labels is { } labels)
        {
            Add(Labels(labels, JsonPath.Property(path, "labels")) is { } names ? new LabelsCondition(names) : null);
        }
        if (condition.LinesChanged is { } lines)
        {
            Add(Range(lines, JsonPath.Property(path, "linesChanged")) ? new RangeCondition("lines changed", lines.Min, lines.Max, i => i.LinesChanged, i => i.LinesIncomplete) : null);
        }
        if (condition.FilesChanged is { } files)
        {
            Add(Range(files, JsonPath.Property(path, "filesChanged")) ? new RangeCondition("files changed", files.Min, files.Max, i => i.Snapshot.ChangedFiles.Count, i => i.FilesIncomplete) : null);
        }
        if (condition.CommitMessages is { } commits)
        {
            _usesCommitMessages = true;
            Add(Regex(commits, JsonPath.Property(path, "commitMessages")) is { } regex ? new CommitMessagesCondition(regex) : null);
        }
        if (condition.Any is { } any)
        {
            Add(Combinator(any, JsonPath.Property(path, "any"), "any") is { } list ? new AnyCondition(list) : null);
        }
        if (condition.All is { } all)
        {
            Add(Combinator(all, JsonPath.Property(path, "all"), "all") is { } list ? new AllCondition(list) : null);
        }
        if (condition.Not is { } not)
        {
            Add(CompileCondition(not, JsonPath.Property(path, "not")) is { } inner ? new NotCondition(inner) : null);
        }

        // An object whose only fields were rejected (a misspelt property) already has its error.
        if (parts.Count == 0 && valid)
        {
            if (!hasErrorsBelow(path))
            {
                report(path, "a condition must have at least one field (changedFiles, onlyChangedFiles, title, description, sourceBranch, targetBranch, author, draft, labels, linesChanged, filesChanged, commitMessages, any, all, not)");
            }
            return null;
        }
        return !valid ? null : parts.Count == 1 ? parts[0] : new AllCondition(parts);
    }

    private List<ICondition>? Combinator(IReadOnlyList<ConditionConfig?> conditions, string path, string name)
    {
        if (conditions.Count == 0)
        {
            report(path, $"\"{name}\" needs at least one condition");
            return null;
        }
        var compiled = new List<ICondition>();
        var valid = true;
        for (var i = 0; i < conditions.Count; i++)
        {
            if (conditions[i] is not { } condition)
            {
                valid = false;
                continue;
            }
            if (CompileCondition(condition, JsonPath.Index(path, i)) is { } part)
            {
                compiled.Add(part);
            }
            else
            {
                valid = false;
            }
        }
        return valid ? compiled : null;
    }

    private IFluidTemplate? CompileActions(ActionsConfig then, string path)
    {
        if (then.AddLabels is null && then.RemoveLabels is null && then.Reviewers is null && then.Assignees is null && then.Comment is null && !hasErrorsBelow(path))
        {
            report(path, "\"then\" must have at least one action (addLabels, removeLabels, reviewers, assignees, comment)");
        }
        if (then.AddLabels is { } add)
        {
            Labels(add, JsonPath.Property(path, "addLabels"));
        }
        if (then.RemoveLabels is { } remove)
        {
            Labels(remove, JsonPath.Property(path, "removeLabels"));
        }
        if (then.Reviewers is { } reviewers)
        {
            var reviewersPath = JsonPath.Property(path, "reviewers");
            var users = reviewers.Users is null ? null : Names(reviewers.Users, JsonPath.Property(reviewersPath, "users"), "username");
            if (reviewers.Count is { } count)
            {
                if (count < 1)
                {
                    report(JsonPath.Property(reviewersPath, "count"), $"count must be at least 1, found {count}");
                }
                else if (users is not null && count > users.Count)
                {
                    report(JsonPath.Property(reviewersPath, "count"), $"count {count} is more than the {users.Count} users listed");
                }
            }
        }
        if (then.Assignees is { Author: false } assignees)
        {
            Names(assignees.Users, JsonPath.Property(JsonPath.Property(path, "assignees"), "users"), "username");
        }
        if (then.Comment is { } comment)
        {
            var commentPath = JsonPath.Property(path, "comment");
            if (string.IsNullOrWhiteSpace(comment))
            {
                report(commentPath, "a comment must not be empty");
            }
            else if (CommentTemplates.TryParse(comment, out var template, out var error))
            {
                return template;
            }
            else
            {
                report(commentPath, $"invalid Liquid template: {error}");
            }
        }
        return null;
    }

    private CompiledSizeLabels? CompileSizeLabels(SizeLabelsConfig size, string path)
    {
        var prefix = size.Prefix ?? "size::";
        var valid = true;
        if (size.Prefix is not null && (prefix.Contains(',') || prefix.Trim() != prefix))
        {
            report(JsonPath.Property(path, "prefix"), "a label prefix must not contain commas or leading/trailing spaces");
            valid = false;
        }
        var thresholds = new List<SizeThreshold>();
        var thresholdsPath = JsonPath.Property(path, "thresholds");
        if (size.Thresholds is { } configured)
        {
            if (configured.Count == 0)
            {
                report(thresholdsPath, "at least one threshold is needed, e.g. {\"S\": 100}");
                valid = false;
            }
            int? previous = null;
            foreach (var (name, max) in configured)
            {
                var thresholdPath = JsonPath.Property(thresholdsPath, name);
                valid &= CheckLabel(prefix + name, thresholdPath);
                if (max < 0)
                {
                    report(thresholdPath, $"a threshold must not be negative, found {max}");
                    valid = false;
                }
                else if (previous is { } before && max <= before)
                {
                    report(thresholdPath, $"thresholds must increase: {name} is {max}, not above the previous {before}");
                    valid = false;
                }
                previous = max;
                thresholds.Add(new SizeThreshold(name, max));
            }
        }
        if (size.Largest is { } largest)
        {
            var largestPath = JsonPath.Property(path, "largest");
            valid &= CheckLabel(prefix + largest, largestPath);
            if (thresholds.Any(t => t.Name == largest))
            {
                report(largestPath, $"\"{largest}\" is already a threshold name; the largest size needs its own name");
                valid = false;
            }
        }
        var ignore = size.Ignore is null ? [] : Globs(size.Ignore, JsonPath.Property(path, "ignore"), allowEmpty: true);
        return valid && ignore is not null && size.Thresholds is not null && size.Largest is not null
            ? new CompiledSizeLabels(prefix, thresholds, size.Largest, ignore)
            : null;
    }

    private CompiledReviewers CompileReviewers(ReviewersConfig reviewers, string path)
    {
        var defaults = CompiledReviewers.Default;
        if (reviewers.Count is < 1)
        {
            report(JsonPath.Property(path, "count"), $"count must be at least 1, found {reviewers.Count}");
        }
        var strategy = defaults.Strategy;
        if (reviewers.Strategy is { } text)
        {
            var index = Array.IndexOf(Strategies, text);
            if (index < 0)
            {
                report(JsonPath.Property(path, "strategy"), $"strategy \"{text}\" is not one of {string.Join(", ", Strategies)}");
            }
            else
            {
                strategy = (ReviewerStrategy)index;
            }
        }
        var exclude = reviewers.Exclude is null ? [] : Names(reviewers.Exclude, JsonPath.Property(path, "exclude"), "username", allowEmpty: true) ?? [];
        return new CompiledReviewers(
            reviewers.Count ?? defaults.Count,
            reviewers.CodeOwners ?? defaults.CodeOwners,
            strategy,
            reviewers.SkipBusy ?? defaults.SkipBusy,
            reviewers.SkipDrafts ?? defaults.SkipDrafts,
            new HashSet<string>(exclude, StringComparer.OrdinalIgnoreCase));
    }

    private bool Range(RangeConfig range, string path)
    {
        if (range.Min is null && range.Max is null)
        {
            report(path, "a range needs \"min\", \"max\" or both");
            return false;
        }
        var valid = true;
        if (range.Min is < 0)
        {
            report(JsonPath.Property(path, "min"), $"min must not be negative, found {range.Min}");
            valid = false;
        }
        if (range.Max is < 0)
        {
            report(JsonPath.Property(path, "max"), $"max must not be negative, found {range.Max}");
            valid = false;
        }
        if (range is { Min: { } min, Max: { } max } && min > max)
        {
            report(path, $"min ({min}) must not be greater than max ({max})");
            valid = false;
        }
        return valid;
    }

    private const RegexOptions ConfigRegexOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    /// <summary>
    /// A policy's regex, on .NET's linear-time engine (<see cref="RegexOptions.NonBacktracking"/>) whenever the pattern
    /// allows it: then no text can make it catastrophic (<c>(a+)+$</c> runs in time linear in the text), and whether it
    /// matches does not depend on how loaded the machine is. Patterns that need backtracking (backreferences,
    /// lookarounds, atomic groups, conditionals) keep the backtracking engine, bounded by the per-match timeout and the
    /// evaluation's budget. Both engines answer "is there a match" the same way.
    /// </summary>
    private TimedRegex? Regex(string pattern, string path)
    {
        if (pattern.Length == 0)
        {
            report(path, "a regular expression must not be empty");
            return null;
        }
        Regex backtracking;
        try
        {
            backtracking = new Regex(pattern, ConfigRegexOptions, regexTimeout);
        }
        catch (ArgumentException e)
        {
            report(path, $"invalid regular expression: {e.Message}");
            return null;
        }
        try
        {
            return new TimedRegex(new Regex(pattern, ConfigRegexOptions | RegexOptions.NonBacktracking, regexTimeout));
        }
        catch (NotSupportedException)
        {
            return new TimedRegex(backtracking);
        }
    }

    private Glob? Glob(string pattern, string path)
    {
        try
        {
            if (Policies.Glob.TryParse(pattern, out var glob, out var error))
            {
                return glob;
            }
            report(path, $"invalid glob \"{pattern}\": {error}");
        }
        catch (NotSupportedException e)
        {
            // A glob too large for the non-backtracking engine (thousands of characters): an error to report, not a crash
            // (found by ConfigLoaderFuzzTests). The pattern is not repeated: it is what made the message long.
            report(path, $"glob too complex: {e.Message}");
        }
        return null;
    }

    private List<Glob>? Globs(IReadOnlyList<string?> patterns, string path, bool allowEmpty = false)
    {
        if (patterns.Count == 0 && !allowEmpty)
        {
            report(path, "at least one glob is needed");
            return null;
        }
        var globs = new List<Glob>();
        var valid = true;
        for (var i = 0; i < patterns.Count; i++)
        {
            if (patterns[i] is { } pattern && Glob(pattern, JsonPath.Index(path, i)) is { } glob)
            {
                globs.Add(glob);
            }
            else
            {
                valid = false;
            }
        }
        return valid ? globs : null;
    }

    private List<string>? Labels(IReadOnlyList<string?> labels, string path)
    {
        if (labels.Count == 0)
        {
            report(path, "at least one label is needed");
            return null;
        }
        var valid = true;
        for (var i = 0; i < labels.Count; i++)
        {
            valid &= labels[i] is { } label && CheckLabel(label, JsonPath.Index(path, i));
        }
        return valid ? labels.Select(l => l!).ToList() : null;
    }

    private List<string>? Names(IReadOnlyList<string?> names, string path, string what, bool allowEmpty = false)
    {
        if (names.Count == 0 && !allowEmpty)
        {
            report(path, $"at least one {what} is needed");
            return null;
        }
        var valid = true;
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] is not { } name)
            {
                valid = false;
            }
            else if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsWhiteSpace))
            {
                report(JsonPath.Index(path, i), $"\"{name}\" is not a {what} (no spaces, not empty)");
                valid = false;
            }
        }
        return valid ? names.Select(n => n!.TrimStart('@')).ToList() : null;
    }

    private bool CheckLabel(string label, string path)
    {
        if (string.IsNullOrWhiteSpace(label))
        {
            report(path, "a label name must not be empty");
            return false;
        }
        if (label.Contains(','))
        {
            // GitLab's add_labels/remove_labels are comma-separated lists.
            report(path, $"label \"{label}\" must not contain a comma");
            return false;
        }
        if (label.Trim() != label)
        {
            report(path, $"label \"{label}\" must not start or end with spaces");
            return false;
        }
        return true;
    }

    [GeneratedRegex("^#[0-9A-Fa-f]{6}$")]
    private static partial Regex ColorPattern();
}
