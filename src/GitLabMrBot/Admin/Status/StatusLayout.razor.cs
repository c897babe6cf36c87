using Microsoft.AspNetCore.Components;

namespace GitLabMrBot.Admin.Status;

public sealed partial class StatusLayout : ComponentBase
{
    [Parameter, EditorRequired]
    public string Title { get; set; } = "";

    [Parameter]
    public RenderFragment? ChildContent { get; set; }
}
