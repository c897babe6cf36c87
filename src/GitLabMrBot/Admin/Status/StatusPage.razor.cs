using GitLabMrBot.Events;
using GitLabMrBot.Inbox;
using Microsoft.AspNetCore.Components;

namespace GitLabMrBot.Admin.Status;

public sealed partial class StatusPage : ComponentBase
{
    [Parameter, EditorRequired]
    public StatusView View { get; set; } = null!;

    [Parameter, EditorRequired]
    public AntiforgeryField Antiforgery { get; set; } = null!;

    /// <summary>What the last action did (after its redirect); null when none.</summary>
    [Parameter]
    public StatusMessage? Message { get; set; }

    // An MR's subject links to its decision record; other subjects (pushes, projects) are shown as stored.
    private RenderFragment Subject(StoredDelivery delivery) => builder =>
    {
        if (MergeRequestRef.FromSubject(delivery.Subject) is { } mr)
        {
            builder.OpenElement(0, "a");
            builder.AddAttribute(1, "href", StatusText.DecisionsLink(mr.ProjectId, mr.Iid));
            builder.AddContent(2, delivery.Subject);
            builder.CloseElement();
        }
        else
        {
            builder.AddContent(3, delivery.Subject);
        }
    };
}

/// <summary>A line at the top of the page saying what the last action did.</summary>
public sealed record StatusMessage(string Text, bool Bad);
