using System.Text;
using GitLabMrBot.Policies.Reviewers;

namespace GitLabMrBot.Policies;

/// <summary>
/// The one explaining note per MR (docs/contract.md §2, principle 6). Its text depends only on the plan's steady
/// state (the labels the bot keeps on the MR and what it deliberately left alone), never on whether a
/// label is being added right now, so it reads the same before and after the plan is applied: the
/// reconciler edits the note only when this text changes.
/// </summary>
public static class SummaryComment
{
    public const string Marker = NoteMarker.Summary;

    private static readonly HashSet<DecisionKind> SteadyDecisions =
    [
        DecisionKind.NotReAdded,
        DecisionKind.HumanLabelKept,
        DecisionKind.HumanScopedLabelKept,
        DecisionKind.ScopeConflict,
        DecisionKind.RemovedByPolicy,
        DecisionKind.RegexTimeout,
        DecisionKind.TimeBudgetExceeded,
        DecisionKind.NotSettled,
        DecisionKind.DiffIncomplete,
    ];

    /// <summary>Whether there is anything to explain: the reconciler creates the note only then.</summary>
    public static bool HasContent(Plan plan) =>
        plan.UntouchedBecause is null && (plan.Applied.Count > 0 || plan.ProjectFile is { IsValid: false } || plan.Decisions.Any(d => SteadyDecisions.Contains(d.Kind)) || plan.People?.HasContent == true);

    public static string Render(Plan plan)
    {
        var text = new StringBuilder();
        text.Append(Marker).Append('\n');
        text.Append("**GitLab MR bot**: what the policies in `bot.config.json`")
            .Append(plan.ProjectFile is { } file ? " and " + Code(file.Path) : "").Append(" decided for this merge request.\n\n");
        if (plan.ProjectFile is { IsValid: false } invalid)
        {
            RenderInvalidProjectFile(text, invalid);
        }
        if (plan.DryRun)
        {
            text.Append("_Dry run: nothing below was applied._\n\n");
        }

        if (plan.Applied.Count == 0)
        {
            text.Append("No policy adds a label to this merge request.\n");
        }
        else
        {
            text.Append("| label | rule | why |\n|---|---|---|\n");
            foreach (var label in plan.Applied)
            {
                text.Append("| ").Append(Code(label.Label, inTable: true))
                    .Append(" | ").Append(RuleName(plan, label.Reason.Rule, inTable: true))
                    .Append(" | ").Append(EscapeMarkdown(label.Reason.Detail))
                    .Append(" |\n");
            }
        }

        if (plan.IncompleteDiff is { } incomplete)
        {
            // Said once, plainly: the size and file rules above were decided without part of the diff (docs/gitlab-behaviour.md §3.2).
            text.Append("\nGitLab did not return the whole diff of this merge request (").Append(EscapeMarkdown(incomplete))
                .Append("). The size label counts the missing changes as the largest size, and rules about changed files do not guess about files GitLab did not list.\n");
        }

        if (plan.People is { HasContent: true } people)
        {
            RenderPeople(text, people);
        }

        var kept = plan.Decisions.Where(d => SteadyDecisions.Contains(d.Kind)).ToList();
        if (kept.Count > 0)
        {
            text.Append("\nLeft as is:\n");
            foreach (var decision in kept)
            {
                text.Append("- ").Append(EscapeMarkdown(decision.Text)).Append(" (").Append(RuleName(plan, decision.Reason.Rule)).Append(")\n");
            }
        }

        text.Append("\nTo override a label, remove it: the bot will not put it back. ")
            .Append("The bot never removes a label it did not add.\n");
        return EscapeQuickActions(text.ToString());
    }

    // People are written as `@name` in code spans: the note explains, it does not mention (and notify) anyone.
    private static void RenderPeople(StringBuilder text, PeoplePlan people)
    {
        text.Append("\n**Reviewers**\n\n");
        if (people.Reviewers.Count > 0)
        {
            text.Append("| reviewer | why |\n|---|---|\n");
            foreach (var pick in people.Reviewers)
            {
                text.Append("| ").Append(Code("@" + pick.Username, inTable: true)).Append(" | ").Append(EscapeMarkdown(string.Join("; ", pick.Why))).Append(" |\n");
            }
        }
        if (people.ReviewersNote is { } note)
        {
            text.Append(EscapeMarkdown(note)).Append('\n');
        }
        if (people.PassedOver.Count > 0)
        {
            text.Append("\nPassed over:\n");
            foreach (var passed in people.PassedOver)
            {
                text.Append("- ").Append(Code("@" + passed.Username)).Append(": ").Append(EscapeMarkdown(passed.Detail)).Append('\n');
            }
        }
        if (people.Assignees.Count > 0 || people.AssigneesNote is not null)
        {
            text.Append("\n**Assignees**\n\n");
            foreach (var pick in people.Assignees)
            {
                text.Append("- ").Append(Code("@" + pick.Username)).Append(": ").Append(EscapeMarkdown(string.Join("; ", pick.Why))).Append('\n');
            }
            if (people.AssigneesNote is { } assigneesNote)
            {
                text.Append(EscapeMarkdown(assigneesNote)).Append('\n');
            }
        }
        text.Append("\nThe bot only fills empty reviewer and assignee slots, once per merge request: it never removes or replaces people, and never re-requests someone who was removed.\n");
    }

    /// <summary>GitLab runs a line starting with <c>/</c> as a quick action: see <see cref="InertText.EscapeQuickActions"/>.</summary>
    public static string EscapeQuickActions(string text) => InertText.EscapeQuickActions(text);

    // With a project file in play, each policy says where it comes from (docs/contract.md §5); without one, all are the group's.
    private static string RuleName(Plan plan, string rule, bool inTable = false) => rule switch
    {
        Reason.SizeLabelsRule => "size labels",
        Reason.NeedsRebaseRule => "needs rebase",
        _ when plan.ProjectFile is { } file => (file.ProjectPolicies.Contains(rule) ? "project policy " : "group policy ") + Code(rule, inTable),
        _ => "policy " + Code(rule, inTable),
    };

    /// <summary>Errors are the file's own text (paths, names): escaped like any value from GitLab.</summary>
    private static void RenderInvalidProjectFile(StringBuilder text, ProjectFileStatus file)
    {
        text.Append("**").Append(Code(file.Path)).Append(" is invalid** on the default branch, so ")
            .Append(file.KeptPrevious ? "its last valid version stays in force" : "only the group's policies apply")
            .Append(" until it is fixed:\n");
        foreach (var error in file.Errors)
        {
            text.Append("- ").Append(EscapeMarkdown(error)).Append('\n');
        }
        text.Append('\n');
    }

    // Labels, usernames and rule names are values: code spans (InertText.Code); reasons are sentences: InertText.Escape.
    // GitLab caps label names and usernames at 255 characters: the cap only guards against a value that is not one.
    private static string Code(string text, bool inTable = false) => InertText.Code(text, 255, inTable);

    private static string EscapeMarkdown(string text) => InertText.Escape(text);
}
