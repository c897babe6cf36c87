using System.Text.RegularExpressions;

namespace GitLabMrBot.Policies.Reviewers;

/// <summary>
/// Who the bot itself ever requested as reviewer or assigned, read from GitLab's system notes on the MR
/// ("requested review from @a and @b", "assigned to @c and unassigned @d"; docs/gitlab-behaviour.md §3.3). GitLab's record,
/// so it survives a lost store: a person the bot requested once and a human removed is never requested again.
/// </summary>
public sealed partial record PeopleHistory(IReadOnlySet<string> RequestedByBot, IReadOnlySet<string> AssignedByBot)
{
    public static PeopleHistory None { get; } = new(new HashSet<string>(), new HashSet<string>());

    [GeneratedRegex(@"(?<![\w@])@(?<name>[A-Za-z0-9_.][A-Za-z0-9_.\-]*)", RegexOptions.CultureInvariant)]
    private static partial Regex Mention();

    /// <summary>Reads the bodies of the system notes the bot user wrote.</summary>
    public static PeopleHistory FromBotSystemNotes(IEnumerable<string> bodies)
    {
        var requested = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var assigned = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var body in bodies)
        {
            Collect(body, "requested review from ", ["removed review request for"], requested);
            Collect(body, "assigned to ", ["unassigned "], assigned);
        }
        return new PeopleHistory(requested, assigned);
    }

    private static void Collect(string body, string verb, string[] stopAt, HashSet<string> into)
    {
        var start = body.IndexOf(verb, StringComparison.Ordinal);
        if (start < 0 || (verb == "assigned to " && start > 0 && body[start - 1] != ' ' && body[start - 1] != '\n'))
        {
            return;
        }
        var part = body[(start + verb.Length)..];
        foreach (var stop in stopAt)
        {
            var end = part.IndexOf(stop, StringComparison.Ordinal);
            if (end >= 0)
            {
                part = part[..end];
            }
        }
        foreach (Match m in Mention().Matches(part))
        {
            into.Add(m.Groups["name"].Value.TrimEnd('.'));
        }
    }
}
