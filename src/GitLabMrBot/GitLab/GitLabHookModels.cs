namespace GitLabMrBot.GitLab;

// Shapes of the admin endpoints used by install, uninstall and doctor (docs/gitlab-behaviour.md §3.6), modelling only
// what those verbs read. Same JSON conventions as GitLabModels.cs (snake_case through GitLabJsonContext).

/// <summary><c>GET /version</c>.</summary>
public sealed record GitLabVersion
{
    public string Version { get; init; } = "";
    public string? Revision { get; init; }

    /// <summary>True on GitLab EE (absent on old versions); EE without a licence is still "Free".</summary>
    public bool? Enterprise { get; init; }
}

/// <summary><c>GET /personal_access_tokens/self</c>: the token the bot authenticates with (never its value).</summary>
public sealed record GitLabTokenInfo
{
    public required long Id { get; init; }
    public string? Name { get; init; }
    public IReadOnlyList<string> Scopes { get; init; } = [];
    public long? UserId { get; init; }
    public bool Active { get; init; }
    public bool Revoked { get; init; }

    /// <summary>A date (<c>yyyy-MM-dd</c>) or null for a token that never expires.</summary>
    public string? ExpiresAt { get; init; }
}

/// <summary><c>GET /groups/:id</c>.</summary>
public sealed record GitLabGroup
{
    public required long Id { get; init; }
    public string FullPath { get; init; } = "";
    public string? Name { get; init; }
    public string? WebUrl { get; init; }
}

/// <summary>
/// A project or group webhook (<c>API::Entities::ProjectHook</c>/<c>GroupHook</c>). GitLab never returns the
/// secret token. <see cref="AlertStatus"/> and <see cref="DisabledUntil"/> are GitLab's auto-disable state (docs/gitlab-behaviour.md §1.6).
/// </summary>
public sealed record GitLabHook
{
    public const string Executable = "executable";
    public const string TemporarilyDisabled = "temporarily_disabled";
    public const string Disabled = "disabled";

    public required long Id { get; init; }
    public string Url { get; init; } = "";
    public long? ProjectId { get; init; }
    public long? GroupId { get; init; }
    public bool PushEvents { get; init; }
    public bool MergeRequestsEvents { get; init; }
    public bool NoteEvents { get; init; }

    /// <summary>
    /// Comments in internal threads, sent as <c>Confidential Note Hook</c> only to hooks with this on (docs/gitlab-behaviour.md §1.8).
    /// Null on a hook created without it: GitLab's column has no default.
    /// </summary>
    public bool? ConfidentialNoteEvents { get; init; }
    public bool EnableSslVerification { get; init; }

    /// <summary><c>executable</c>, <c>temporarily_disabled</c> or <c>disabled</c> (permanently, until re-enabled by hand).</summary>
    public string? AlertStatus { get; init; }
    public DateTimeOffset? DisabledUntil { get; init; }
}

/// <summary>
/// The body of a hook create or update. Null fields are not sent. An update without <see cref="Token"/> keeps the
/// hook's secret token only while <see cref="Url"/> stays exactly the same: GitLab clears the token when the URL
/// changes and no token comes with it (docs/gitlab-behaviour.md §3.6). GitLab never reveals the token.
/// </summary>
public sealed record HookBody
{
    public required string Url { get; init; }
    public string? Token { get; init; }
    public bool? PushEvents { get; init; }
    public bool? MergeRequestsEvents { get; init; }
    public bool? NoteEvents { get; init; }
    public bool? ConfidentialNoteEvents { get; init; }
    public bool? EnableSslVerification { get; init; }
}
