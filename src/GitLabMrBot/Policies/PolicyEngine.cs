namespace GitLabMrBot.Policies;

/// <summary>
/// The pure policy function of docs/contract.md §2: (MR snapshot, compiled config) → <see cref="Plan"/>.
/// No I/O, no clock: the same inputs always give the same plan.
/// </summary>
/// <remarks>
/// Label rules ("humans win", principle 5):
/// <list type="bullet">
/// <item>A label is added when a matching rule wants it, unless a human removed it from this MR before,
/// or (for a scoped <c>key::value</c> label) a human set another label of that scope.</item>
/// <item>A label is removed only if the bot added it and no rule wants it now: a condition that stops
/// holding (retitle, new push) takes the bot's label away again. <c>removeLabels</c> follows the same
/// rule: it removes a label only if the bot added it, and it beats an <c>addLabels</c> of the same label.</item>
/// <item><c>labels</c> conditions see the labels the MR will carry after the plan, evaluated until they
/// settle, so policies that build on other policies' labels reach their final state in one write.</item>
/// <item>Closed, merged and locked MRs get an empty plan.</item>
/// </list>
/// </remarks>
public static class PolicyEngine
{
    public const string SummaryMarker = NoteMarker.Summary;

    public static string PolicyCommentMarker(string policy) => NoteMarker.ForPolicy(policy);

    public static Plan Evaluate(MergeRequestSnapshot snapshot, CompiledConfig config)
    {
        if (!string.Equals(snapshot.State, "opened", StringComparison.Ordinal))
        {
            return new Plan
            {
                MergeRequest = snapshot.Ref,
                DryRun = config.DryRun,
                SummaryComment = false,
                UntouchedBecause = $"the MR is {snapshot.State}: the bot never touches closed or merged MRs",
            };
        }

        // One budget for the whole evaluation, every round included; its clock is the one the config was given (the engine reads none of its own).
        var budget = config.Limits is { } limits ? new EvaluationBudget(limits) : null;
        var current = new HashSet<string>(snapshot.Labels, StringComparer.Ordinal);
        var effective = new HashSet<string>(current, StringComparer.Ordinal);
        var maxRounds = config.Policies.Count + 2;
        LabelRound round;
        var settled = false;
        for (var i = 0; ; i++)
        {
            round = EvaluateRound(snapshot, config, current, effective, budget);
            var next = new HashSet<string>(current, StringComparer.Ordinal);
            next.ExceptWith(round.Remove.Select(r => r.Label));
            next.UnionWith(round.Add.Select(a => a.Label));
            if (next.SetEquals(effective))
            {
                settled = true;
                break;
            }
            if (i + 1 >= maxRounds)
            {
                break;
            }
            effective = next;
        }

        var decisions = round.Decisions;
        if (!settled)
        {
            decisions.Add(new Decision(DecisionKind.NotSettled, "labels", new Reason("policies", "label conditions form a cycle"),
                "policies with labels conditions contradict each other (adding one label makes another policy stop matching); the last evaluation was used"));
        }

        var labelsAfter = current.Where(l => !round.Remove.Any(r => r.Label == l)).Concat(round.Add.Select(a => a.Label)).ToList();
        var comments = RenderComments(snapshot, round.Matches, labelsAfter, decisions);

        return new Plan
        {
            MergeRequest = snapshot.Ref,
            DryRun = config.DryRun,
            SummaryComment = config.SummaryComment,
            Applied = round.Applied,
            LabelsToAdd = round.Add,
            LabelsToRemove = round.Remove,
            LabelsToCreate = round.Add
                .Where(a => config.LabelColors.ContainsKey(a.Label))
                .Select(a => new LabelToCreate(a.Label, config.LabelColors[a.Label]))
                .ToList(),
            Size = round.Size,
            Comments = comments,
            Decisions = decisions,
            IncompleteDiff = IncompleteDiff.Describe(snapshot),
            MatchedPolicies = round.Matches.Select(m => new PolicyMatch(m.Policy.Name, m.Detail, m.Policy.Then)).ToList(),
        };
    }

    private sealed record Match(CompiledPolicy Policy, string Detail);

    private sealed record LabelRound(
        List<Match> Matches,
        List<AppliedLabel> Applied,
        List<LabelChange> Add,
        List<LabelChange> Remove,
        SizeDecision? Size,
        List<Decision> Decisions);

    private static LabelRound EvaluateRound(MergeRequestSnapshot snapshot, CompiledConfig config, HashSet<string> current, HashSet<string> effective, EvaluationBudget? budget)
    {
        var input = new EvaluationInput(snapshot, effective) { Budget = budget };
        var provenance = snapshot.Provenance;
        var botAdded = provenance.AddedByBot;
        var decisions = new List<Decision>();
        var matches = new List<Match>();

        foreach (var policy in config.Policies)
        {
            budget?.BeginPolicy(policy.Name);
            var result = policy.When.Evaluate(input);
            budget?.EndPolicy();
            if (result.Undecided is { } undecided)
            {
                decisions.Add(new Decision(undecided, policy.Name, new Reason(policy.Name, result.Detail),
                    $"policy {policy.Name} not applied: {result.Detail}"));
            }
            else if (result.Matched)
            {
                matches.Add(new Match(policy, result.Detail));
            }
        }

        // Wanted labels in rule order: policies first, then size, then needs-rebase. The first rule to want a label names it.
        var wanted = new List<LabelChange>();
        void Want(string label, Reason reason)
        {
            if (!wanted.Any(w => w.Label == label))
            {
                wanted.Add(new LabelChange(label, reason));
            }
        }

        foreach (var match in matches)
        {
            foreach (var label in match.Policy.Then.AddLabels ?? [])
            {
                Want(label, new Reason(match.Policy.Name, match.Detail));
            }
        }

        var size = DecideSize(snapshot, config.SizeLabels);
        if (size is not null)
        {
            var humanSize = current.FirstOrDefault(l => config.SizeLabels!.IsSizeLabel(l) && !botAdded.Contains(l) && l != size.Label);
            if (humanSize is not null)
            {
                decisions.Add(new Decision(DecisionKind.HumanScopedLabelKept, size.Label, new Reason(Reason.SizeLabelsRule, size.Detail),
                    $"{size.Label} not added: {humanSize} was set by a human"));
            }
            else
            {
                Want(size.Label, new Reason(Reason.SizeLabelsRule, size.Detail));
            }
        }

        if (config.NeedsRebaseLabel is { } rebaseLabel)
        {
            var rebase = DecideNeedsRebase(snapshot, current.Contains(rebaseLabel));
            if (rebase is not null)
            {
                Want(rebaseLabel, new Reason(Reason.NeedsRebaseRule, rebase));
            }
        }

        // removeLabels beats addLabels of the same label, whichever policy comes first.
        var removeRequests = new List<LabelChange>();
        foreach (var match in matches)
        {
            foreach (var label in match.Policy.Then.RemoveLabels ?? [])
            {
                var reason = new Reason(match.Policy.Name, match.Detail);
                removeRequests.Add(new LabelChange(label, reason));
                var overridden = wanted.FindIndex(w => w.Label == label);
                if (overridden >= 0)
                {
                    decisions.Add(new Decision(DecisionKind.RemovedByPolicy, label, reason,
                        $"{label} not added ({wanted[overridden].Reason.Rule} wants it): policy {match.Policy.Name} removes it"));
                    wanted.RemoveAt(overridden);
                }
                if (current.Contains(label) && !botAdded.Contains(label))
                {
                    decisions.Add(new Decision(DecisionKind.HumanLabelKept, label, reason,
                        $"{label} not removed (policy {match.Policy.Name} removes it): a human added it"));
                }
            }
        }

        var applied = new List<AppliedLabel>();
        var add = new List<LabelChange>();
        var scopesTaken = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (label, reason) in wanted)
        {
            var scope = LabelScope(label);
            if (scope is not null)
            {
                if (scopesTaken.TryGetValue(scope, out var first))
                {
                    decisions.Add(new Decision(DecisionKind.ScopeConflict, label, reason,
                        $"{label} not added: {first} has the same scope and comes first"));
                    continue;
                }
                scopesTaken[scope] = label;
            }

            if (current.Contains(label))
            {
                applied.Add(new AppliedLabel(label, reason, AlreadyPresent: true));
                continue;
            }
            if (provenance.RemovedByHuman.Contains(label))
            {
                decisions.Add(new Decision(DecisionKind.NotReAdded, label, reason,
                    $"{label} not re-added: removed by a human"));
                continue;
            }
            var humanScoped = scope is null ? null : current.FirstOrDefault(l => LabelScope(l) == scope && !botAdded.Contains(l));
            if (humanScoped is not null)
            {
                decisions.Add(new Decision(DecisionKind.HumanScopedLabelKept, label, reason,
                    $"{label} not added: it would replace {humanScoped}, which a human set"));
                continue;
            }
            applied.Add(new AppliedLabel(label, reason, AlreadyPresent: false));
            add.Add(new LabelChange(label, reason));
        }

        var remove = new List<LabelChange>();
        foreach (var label in snapshot.Labels.Where(botAdded.Contains).Distinct(StringComparer.Ordinal))
        {
            if (applied.Any(a => a.Label == label))
            {
                continue;
            }
            var request = removeRequests.FirstOrDefault(r => r.Label == label);
            remove.Add(new LabelChange(label, request?.Reason ?? WhyNoLongerWanted(label, config, size)));
        }

        return new LabelRound(matches, applied, add, remove, size, decisions);
    }

    private static Reason WhyNoLongerWanted(string label, CompiledConfig config, SizeDecision? size)
    {
        if (config.SizeLabels?.IsSizeLabel(label) == true && size is not null)
        {
            return new Reason(Reason.SizeLabelsRule, $"the size is now {size.Label}");
        }
        if (label == config.NeedsRebaseLabel)
        {
            return new Reason(Reason.NeedsRebaseRule, "GitLab no longer reports conflicts or a needed rebase");
        }
        return new Reason("no rule", "the bot added it earlier and no matching policy adds it now");
    }

    /// <summary>Exactly one size label, from added+deleted lines of the files not ignored; the largest when GitLab left counted changes out.</summary>
    internal static SizeDecision? DecideSize(MergeRequestSnapshot snapshot, CompiledSizeLabels? sizes)
    {
        if (sizes is null)
        {
            return null;
        }
        var lines = 0;
        var ignored = 0;
        var unseen = new List<ChangedFile>();
        foreach (var file in snapshot.ChangedFiles)
        {
            if (sizes.Ignore.Any(g => g.IsMatch(file.Path)))
            {
                ignored++;
            }
            else if (file.DiffNotReturned is not null)
            {
                unseen.Add(file);
            }
            else
            {
                lines += file.ChangedLines;
            }
        }
        var ignoredText = ignored == 0 ? "" : $", {ignored} ignored {(ignored == 1 ? "file" : "files")}";
        if (unseen.Count > 0 || snapshot.FilesUnlisted)
        {
            // GitLab empties a diff only when it is large, and stops listing files only past its limits
            // (docs/gitlab-behaviour.md §3.2): changes that count were left out, so the MR is taken as the largest.
            // Files past the limits are unknown, so they cannot be known to be ignored.
            return new SizeDecision(sizes.Prefix + sizes.Largest, lines, ignored,
                $"GitLab did not return the whole diff ({IncompleteDiff.Describe(snapshot, unseen)}), taken as the largest; {lines} lines changed in the rest{ignoredText}");
        }
        var threshold = sizes.Thresholds.FirstOrDefault(t => lines <= t.MaxLines);
        var name = threshold?.Name ?? sizes.Largest;
        var bound = threshold is not null
            ? $"at most {threshold.MaxLines}"
            : $"more than {sizes.Thresholds[^1].MaxLines}";
        return new SizeDecision(sizes.Prefix + name, lines, ignored, $"{lines} lines changed ({bound}){ignoredText}");
    }

    /// <summary>
    /// GitLab's own rule, from the fields that answer it (docs/gitlab-behaviour.md §3.2): conflicts (<c>has_conflicts</c>), or, on
    /// projects that merge by fast-forward or with semi-linear history, a target branch that moved on (<c>diverged_commits_count</c>).
    /// <c>detailed_merge_status</c> names only the first failing check, and draft, approvals and others come before conflict
    /// and rebase: its <c>conflict</c> and <c>need_rebase</c> are evidence, any other value says nothing about either.
    /// </summary>
    private static string? DecideNeedsRebase(MergeRequestSnapshot snapshot, bool present)
    {
        // has_conflicts also reads true for an MR without commits; an MR that changes no file has nothing to conflict with.
        if ((snapshot.HasConflicts && snapshot.ChangedFiles.Count > 0) || snapshot.DetailedMergeStatus == "conflict")
        {
            return "GitLab reports merge conflicts";
        }
        if (RebaseRule.NeedsRebase(snapshot.MergeMethod, snapshot.DivergedCommitsCount) is { } behind)
        {
            return behind;
        }
        if (snapshot.DetailedMergeStatus == "need_rebase")
        {
            return "GitLab reports that the MR needs a rebase";
        }
        // The conflict check still running, or no status at all: keep whatever is there until GitLab knows.
        if (present && (snapshot.DetailedMergeStatus is null || MergeStatus.IsUnsettled(snapshot.DetailedMergeStatus)))
        {
            return "kept while GitLab re-checks mergeability";
        }
        return null;
    }

    private static List<PolicyComment> RenderComments(MergeRequestSnapshot snapshot, List<Match> matches, IReadOnlyList<string> labels, List<Decision> decisions)
    {
        var comments = new List<PolicyComment>();
        foreach (var match in matches)
        {
            if (match.Policy.Comment is not { } template)
            {
                continue;
            }
            var reason = new Reason(match.Policy.Name, match.Detail);
            if (snapshot.PostedPolicyComments.Contains(match.Policy.Name))
            {
                decisions.Add(new Decision(DecisionKind.CommentAlreadyPosted, match.Policy.Name, reason,
                    $"comment of policy {match.Policy.Name} already posted"));
                continue;
            }
            string text;
            try
            {
                text = CommentTemplates.Render(template, snapshot, labels, match.Policy.Name);
            }
            catch (Exception e)
            {
                // A template is user input: whatever it does wrong (step limit, missing include) costs only its comment.
                decisions.Add(new Decision(DecisionKind.CommentFailed, match.Policy.Name, reason,
                    $"comment of policy {match.Policy.Name} not posted: its template failed ({e.Message})"));
                continue;
            }
            var marker = PolicyCommentMarker(match.Policy.Name);
            comments.Add(new PolicyComment(match.Policy.Name, marker, marker + "\n" + SummaryComment.EscapeQuickActions(text)));
        }
        return comments;
    }

    /// <summary>The scope of a scoped label: everything before the last <c>::</c>; null for plain labels.</summary>
    public static string? LabelScope(string label)
    {
        var index = label.LastIndexOf("::", StringComparison.Ordinal);
        return index > 0 ? label[..index] : null;
    }
}
