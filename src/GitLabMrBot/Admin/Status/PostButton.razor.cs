using Microsoft.AspNetCore.Components;

namespace GitLabMrBot.Admin.Status;

public sealed partial class PostButton : ComponentBase
{
    [Parameter, EditorRequired]
    public string Action { get; set; } = "";

    [Parameter, EditorRequired]
    public string Label { get; set; } = "";

    [Parameter, EditorRequired]
    public AntiforgeryField Antiforgery { get; set; } = null!;

    [Parameter]
    public string? Class { get; set; }

    /// <summary>The button's accessible name when <see cref="Label"/> alone is ambiguous; defaults to the label.</summary>
    [Parameter]
    public string? AriaLabel { get; set; }
}

/// <summary>The antiforgery form field of one response (ASP.NET Core antiforgery: the cookie beside it is set with it).</summary>
public sealed record AntiforgeryField(string FieldName, string Token);
