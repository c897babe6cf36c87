namespace GitLabMrBot.Policies.CodeOwners;

/// <summary>
/// One CODEOWNERS rule as GitLab keeps it. Within a section, rules with the same normalized pattern collapse into
/// one: GitLab stores them in a Ruby hash keyed by pattern, so the rule keeps the position of the first line and
/// takes the owners, line and flags of the last.
/// </summary>
/// <param name="Section">The section's name (first spelling); <see cref="CodeOwnersFile.DefaultSectionName"/> for rules before any header.</param>
/// <param name="Pattern">The pattern as written, without a leading <c>!</c>.</param>
/// <param name="NormalizedPattern">The <c>File.fnmatch</c> pattern GitLab matches with (e.g. <c>*.rb</c> → <c>/**/*.rb</c>).</param>
/// <param name="Line">1-based line number of the (last) line that defined the rule.</param>
/// <param name="Owners">Valid owner references, from the line or else the section header's defaults; empty for exclusions.</param>
/// <param name="IsExclusion">A <c>!pattern</c> rule: a matching path gets no owners from this section.</param>
/// <param name="Optional">Whether the header this rule was written under is optional (<c>^[Name]</c>).</param>
/// <param name="Approvals">The approval count written on that header (<c>[Name][n]</c>), 0 when absent or not a number.</param>
public sealed record CodeOwnersEntry(
    string Section,
    string Pattern,
    string NormalizedPattern,
    int Line,
    IReadOnlyList<CodeOwner> Owners,
    bool IsExclusion,
    bool Optional,
    int Approvals)
{
    /// <summary>
    /// False for a rule without a single valid owner: GitLab treats it as invalid and auto-approves it,
    /// so a reviewer step has nobody to request for it.
    /// </summary>
    public bool HasOwners => Owners.Count > 0;
}

/// <summary>A section after merging duplicate headers (names compare case-insensitively; the first spelling is kept).</summary>
/// <param name="Name">The name; <see cref="CodeOwnersFile.DefaultSectionName"/> for the rules before the first header.</param>
/// <param name="Optional">True only when every rule in it came from an optional header: one required header makes the section required.</param>
/// <param name="Entries">The rules in GitLab's evaluation order (last matching one wins).</param>
public sealed record CodeOwnersSection(string Name, bool Optional, IReadOnlyList<CodeOwnersEntry> Entries);

/// <summary>The rule a section contributes to a path: at most one per section, sections add up.</summary>
/// <param name="Section">The section's name.</param>
/// <param name="Pattern">The winning pattern as written in the file.</param>
/// <param name="Line">The 1-based line of that rule.</param>
/// <param name="Owners">Its owner references; empty when the rule has no valid owner.</param>
/// <param name="Optional">Whether the section is optional (see <see cref="CodeOwnersSection.Optional"/>).</param>
/// <param name="ApprovalsRequired">0 for an optional section, else the header's count with GitLab's floor of 1.</param>
public sealed record OwnerMatch(
    string Section,
    string Pattern,
    int Line,
    IReadOnlyList<CodeOwner> Owners,
    bool Optional,
    int ApprovalsRequired);

/// <summary>The owner matches of one changed path.</summary>
public sealed record PathOwners(string Path, IReadOnlyList<OwnerMatch> Matches);

/// <summary>Why a line drew a warning; the names follow GitLab's own CODEOWNERS validation errors.</summary>
public enum CodeOwnersWarningKind
{
    /// <summary><c>[]</c>: a header without a name (still used as a section, as GitLab does).</summary>
    MissingSectionName,

    /// <summary><c>^[Name][n]</c>: an optional section cannot require approvals.</summary>
    InvalidApprovalRequirement,

    /// <summary>Text after a header that holds no owner reference.</summary>
    InvalidSectionOwnerFormat,

    /// <summary>An unclosed <c>[Section</c> header: the line is read as a rule instead.</summary>
    InvalidSectionFormat,

    /// <summary>An owner word that is not <c>@name</c>, <c>@@role</c> or an email; it is ignored.</summary>
    MalformedEntryOwner,

    /// <summary>A rule with no owners and no section default owners.</summary>
    MissingEntryOwner,

    /// <summary>A rule whose owners text holds no valid reference at all: nobody owns what it matches.</summary>
    NoValidOwners,
}

/// <summary>A problem found on one line. Parsing never fails: the line is kept or skipped the way GitLab does.</summary>
public sealed record CodeOwnersWarning(int Line, CodeOwnersWarningKind Kind, string Reason)
{
    public override string ToString() => $"line {Line}: {Reason}";
}
