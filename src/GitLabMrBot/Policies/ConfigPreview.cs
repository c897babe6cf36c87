using System.Globalization;
using System.Text;

namespace GitLabMrBot.Policies;

/// <summary>
/// The preview note on a merge request that edits the project file (docs/contract.md, issue 14 item 5): what the file as it
/// is on the MR's source branch would change, compared with the rules in force now, on this MR and on other open MRs of the
/// project; or, when the file is invalid, its errors with their lines. Pure: the reconciler reads, this decides and renders.
/// Every value from GitLab or from the file (titles, labels, usernames, error texts) goes through <see cref="InertText"/>.
/// </summary>
public static class ConfigPreview
{
    /// <summary>The preview's own marker: one preview note per MR, edited in place.</summary>
    public static readonly string Marker = NoteMarker.For("config-preview");

    /// <summary>At most this many other open MRs are previewed (the most recent ones by iid): each costs reads.</summary>
    public const int MaxOtherMergeRequests = 20;

    /// <summary>At most this many errors are listed; the count says how many there are.</summary>
    public const int MaxErrors = 20;

    /// <summary>
    /// The other open MRs to preview, newest first (highest iid; iids only grow, so the choice does not depend on the order
    /// GitLab listed them in), at most <see cref="MaxOtherMergeRequests"/>, and how many more are open.
    /// </summary>
    public static (IReadOnlyList<long> Previewed, int NotPreviewed) PickOthers(IEnumerable<long> openIids, long self)
    {
        var others = openIids.Where(iid => iid != self).Distinct().OrderByDescending(iid => iid).ToList();
        return ([.. others.Take(MaxOtherMergeRequests)], Math.Max(0, others.Count - MaxOtherMergeRequests));
    }

    /// <summary>What the candidate rules would write on one MR that the rules in force would not, and the reverse.</summary>
    public static PreviewChanges Compare(MergeRequestSnapshot snapshot, Plan current, Plan candidate)
    {
        static IReadOnlyList<string> Except(IEnumerable<LabelChange> a, IEnumerable<LabelChange> b)
        {
            var other = b.Select(c => c.Label).ToHashSet(StringComparer.Ordinal);
            return [.. a.Select(c => c.Label).Where(l => !other.Contains(l)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }

        var currentComments = current.Comments.Select(c => c.Policy).ToHashSet(StringComparer.Ordinal);
        return new PreviewChanges(snapshot.Iid, snapshot.Title)
        {
            Adds = Except(candidate.LabelsToAdd, current.LabelsToAdd),
            Removes = Except(candidate.LabelsToRemove, current.LabelsToRemove),
            NoLongerAdds = Except(current.LabelsToAdd, candidate.LabelsToAdd),
            NoLongerRemoves = Except(current.LabelsToRemove, candidate.LabelsToRemove),
            Reviewers = NewReviewerRules(current, candidate),
            Comments = [.. candidate.Comments.Select(c => c.Policy).Where(p => !currentComments.Contains(p)).Order(StringComparer.Ordinal)],
        };
    }

    /// <summary>The preview of a valid file.</summary>
    public static string RenderValid(PreviewHeader header, PreviewChanges self, IReadOnlyList<PreviewChanges> others, int notPreviewed)
    {
        var text = Start(header);
        text.Append("The rules in this version of the file are valid. Once merged, compared with the rules in force now, they would make these changes")
            .Append(" (a preview: nothing has been changed):\n\n");
        text.Append("**This merge request**: ").Append(self.IsEmpty ? "no change.\n" : Describe(self) + ".\n");

        var changing = others.Where(o => !o.IsEmpty).ToList();
        text.Append("\n**Other open merge requests**: ");
        if (others.Count == 0)
        {
            text.Append("there are none.\n");
        }
        else
        {
            text.Append(changing.Count == 0
                ? string.Create(CultureInfo.InvariantCulture, $"no change on any of the {others.Count} previewed.\n")
                : string.Create(CultureInfo.InvariantCulture, $"{changing.Count} of the {others.Count} previewed would change.\n\n"));
            foreach (var mr in changing)
            {
                text.Append("- ").Append(Reference(mr)).Append(": ").Append(Describe(mr)).Append('\n');
            }
        }
        if (notPreviewed > 0)
        {
            text.Append(string.Create(CultureInfo.InvariantCulture,
                $"\n_More than {MaxOtherMergeRequests} other merge requests are open: only the {MaxOtherMergeRequests} most recent were previewed, {notPreviewed} more were not._\n"));
        }
        return text.ToString();
    }

    /// <summary>The preview of an invalid file: its errors, with their lines in the file as it is on the source branch.</summary>
    public static string RenderInvalid(PreviewHeader header, IReadOnlyList<PreviewError> errors)
    {
        var text = Start(header);
        text.Append(string.Create(CultureInfo.InvariantCulture,
            $"This version of the file is **invalid** ({errors.Count} {(errors.Count == 1 ? "error" : "errors")}); merged as it is, the project would keep the rules it has now. Fix:\n\n"));
        foreach (var error in errors.Take(MaxErrors))
        {
            text.Append("- ");
            if (error.Line is { } line)
            {
                text.Append(string.Create(CultureInfo.InvariantCulture, $"line {line}, "));
            }
            text.Append(InertText.Code(error.Path)).Append(": ").Append(InertText.Escape(error.Message)).Append('\n');
        }
        if (errors.Count > MaxErrors)
        {
            text.Append(string.Create(CultureInfo.InvariantCulture, $"- … and {errors.Count - MaxErrors} more.\n"));
        }
        return text.ToString();
    }

    /// <summary>What the note says once the MR no longer changes the file: kept, so the discussion under it still reads.</summary>
    public static string RenderObsolete(string filePath) =>
        $"{Marker}\n**GitLab MR bot**: preview of the project file {InertText.Code(filePath)}.\n\n"
        + "_Obsolete: this merge request no longer changes the project file, so it changes no rules._\n";

    private static StringBuilder Start(PreviewHeader header)
    {
        var text = new StringBuilder();
        text.Append(Marker).Append('\n');
        text.Append("**GitLab MR bot**: preview of the project file ").Append(InertText.Code(header.FilePath))
            .Append(" as it is on ").Append(InertText.Code(header.SourceBranch))
            .Append(" at ").Append(InertText.Code(header.HeadSha.Length > 8 ? header.HeadSha[..8] : header.HeadSha)).Append(".\n\n");
        if (header.Deleted)
        {
            text.Append("This merge request deletes the file: the group's rules alone would apply.\n\n");
        }
        return text;
    }

    private static string Reference(PreviewChanges mr) =>
        // The iid is the bot's own number: a real reference GitLab links. The title is GitLab's text: inert.
        string.Create(CultureInfo.InvariantCulture, $"!{mr.Iid} ") + InertText.Code(mr.Title);

    private static string Describe(PreviewChanges changes)
    {
        var parts = new List<string>();
        void Labels(string verb, IReadOnlyList<string> labels)
        {
            if (labels.Count > 0)
            {
                parts.Add($"{verb} {(labels.Count == 1 ? "label" : "labels")} {string.Join(", ", labels.Select(l => InertText.Code(l)))}");
            }
        }

        Labels("adds", changes.Adds);
        Labels("removes", changes.Removes);
        Labels("no longer adds", changes.NoLongerAdds);
        Labels("no longer removes", changes.NoLongerRemoves);
        foreach (var rule in changes.Reviewers)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"requests {(rule.Count is { } n ? n.ToString(CultureInfo.InvariantCulture) + " " : "")}{(rule.Count == 1 ? "reviewer" : "reviewers")} from ")
                + string.Join(", ", rule.Users.Select(u => InertText.Code(u))) + " (policy " + InertText.Code(rule.Policy) + ")");
        }
        if (changes.Comments.Count > 0)
        {
            parts.Add("posts the comment of " + (changes.Comments.Count == 1 ? "policy " : "policies ") + string.Join(", ", changes.Comments.Select(p => InertText.Code(p))));
        }
        return string.Join("; ", parts);
    }

    // A reviewer rule of a policy that matches with the candidate rules and did not, with the same candidates, with the rules now.
    private static IReadOnlyList<ReviewerRequest> NewReviewerRules(Plan current, Plan candidate)
    {
        static IEnumerable<ReviewerRequest> Requests(Plan plan) => plan.MatchedPolicies
            .Where(m => m.Then.Reviewers is { Users.Count: > 0 })
            .Select(m => new ReviewerRequest(m.Policy, [.. m.Then.Reviewers!.Users], m.Then.Reviewers.Count));

        var now = Requests(current).ToList();
        return [.. Requests(candidate).Where(r => !now.Any(n => n.Policy == r.Policy && n.Count == r.Count && n.Users.SequenceEqual(r.Users, StringComparer.OrdinalIgnoreCase)))];
    }
}

/// <summary>Which file the preview is about: its path, the MR's source branch and head commit, and whether the MR deletes it.</summary>
public sealed record PreviewHeader(string FilePath, string SourceBranch, string HeadSha, bool Deleted = false);

/// <summary>One error of the project file: where (JSON path, 1-based line) and what.</summary>
public sealed record PreviewError(string Path, int? Line, string Message);

/// <summary>A reviewer rule the candidate rules would apply: the policy, its candidates, how many (null: the global count).</summary>
public sealed record ReviewerRequest(string Policy, IReadOnlyList<string> Users, int? Count);

/// <summary>What the candidate rules would change on one MR, against the rules in force now.</summary>
public sealed record PreviewChanges(long Iid, string Title)
{
    public IReadOnlyList<string> Adds { get; init; } = [];
    public IReadOnlyList<string> Removes { get; init; } = [];
    public IReadOnlyList<string> NoLongerAdds { get; init; } = [];
    public IReadOnlyList<string> NoLongerRemoves { get; init; } = [];
    public IReadOnlyList<ReviewerRequest> Reviewers { get; init; } = [];
    public IReadOnlyList<string> Comments { get; init; } = [];

    public bool IsEmpty => Adds.Count == 0 && Removes.Count == 0 && NoLongerAdds.Count == 0 && NoLongerRemoves.Count == 0 && Reviewers.Count == 0 && Comments.Count == 0;
}
