namespace GitLabMrBot.Policies.CodeOwners;

/// <summary>How a CODEOWNERS owner reference is written; resolution to users happens later, through the API.</summary>
public enum CodeOwnerKind
{
    /// <summary>
    /// <c>@name</c> or <c>@group/sub</c>: GitLab resolves one text against both user names and group full paths
    /// (entry.rb <c>matching_user?</c>/<c>matching_group?</c>), so the file alone cannot tell a user from a group.
    /// </summary>
    Name,

    /// <summary>An email address: used when it is a verified email of a user, else ignored.</summary>
    Email,

    /// <summary><c>@@developer</c>, <c>@@maintainer</c> or <c>@@owner</c> (plural accepted): direct project members with exactly that role.</summary>
    Role,
}

/// <summary>
/// One owner reference from a CODEOWNERS line. <see cref="Value"/> has no leading <c>@</c>: a user name or group
/// full path for <see cref="CodeOwnerKind.Name"/>, the address for <see cref="CodeOwnerKind.Email"/>, and
/// <c>developer</c>, <c>maintainer</c> or <c>owner</c> for <see cref="CodeOwnerKind.Role"/>.
/// </summary>
public sealed record CodeOwner(CodeOwnerKind Kind, string Value)
{
    /// <summary>A name with a <c>/</c> can only be a (sub)group path; one without may be a user or a top-level group.</summary>
    public bool IsGroupPath => Kind == CodeOwnerKind.Name && Value.Contains('/', StringComparison.Ordinal);

    /// <summary>The reference as it would be written in a CODEOWNERS file.</summary>
    public override string ToString() => Kind switch
    {
        CodeOwnerKind.Name => "@" + Value,
        CodeOwnerKind.Role => "@@" + Value,
        _ => Value,
    };
}
