using Microsoft.AspNetCore.Components;

namespace GitLabMrBot.Admin.Status;

public sealed partial class SignInPage : ComponentBase
{
    [Parameter, EditorRequired]
    public AntiforgeryField Antiforgery { get; set; } = null!;

    /// <summary>True when the last attempt was a wrong token (what was typed is never shown back).</summary>
    [Parameter]
    public bool Refused { get; set; }
}
