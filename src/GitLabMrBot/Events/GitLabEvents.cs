namespace GitLabMrBot.Events;

/// <summary>The events the bot handles; everything else is acknowledged and ignored.</summary>
public enum WebhookEventKind
{
    MergeRequest,
    Push,
    Note,
}

/// <summary>
/// GitLab's names for the events the bot handles: the <c>X-Gitlab-Event</c> header values and the payloads'
/// <c>object_kind</c> (docs/gitlab-behaviour.md §1).
/// </summary>
public static class GitLabEvents
{
    public const string MergeRequestHook = "Merge Request Hook";
    public const string PushHook = "Push Hook";
    public const string NoteHook = "Note Hook";
    public const string ConfidentialNoteHook = "Confidential Note Hook";
    public const string SystemHook = "System Hook";

    /// <summary>The kind of a handled event from its header (and, for <c>System Hook</c>, its <c>object_kind</c>); null when not handled.</summary>
    public static WebhookEventKind? KindOf(string eventHeader, string? objectKind) =>
        eventHeader == SystemHook ? KindOfObjectKind(objectKind) : KindOfHeader(eventHeader);

    public static WebhookEventKind? KindOfHeader(string eventHeader) => eventHeader switch
    {
        MergeRequestHook => WebhookEventKind.MergeRequest,
        PushHook => WebhookEventKind.Push,
        NoteHook or ConfidentialNoteHook => WebhookEventKind.Note,
        _ => null,
    };

    public static WebhookEventKind? KindOfObjectKind(string? objectKind) => objectKind switch
    {
        "merge_request" => WebhookEventKind.MergeRequest,
        "push" => WebhookEventKind.Push,
        "note" => WebhookEventKind.Note,
        _ => null,
    };

    public static string ObjectKindOf(WebhookEventKind kind) => kind switch
    {
        WebhookEventKind.MergeRequest => "merge_request",
        WebhookEventKind.Note => "note",
        _ => "push",
    };
}
