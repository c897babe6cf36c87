using GitLabMrBot.Storage;
using Microsoft.AspNetCore.Components;

namespace GitLabMrBot.Admin.Status;

/// <summary>One MR's decision log as a person reads it (the JSON is <c>/api/merge-requests/{projectId}/{iid}/decisions</c>).</summary>
public sealed partial class DecisionsPage : ComponentBase
{
    [Parameter, EditorRequired]
    public long ProjectId { get; set; }

    [Parameter, EditorRequired]
    public long Iid { get; set; }

    /// <summary>Newest first.</summary>
    [Parameter, EditorRequired]
    public IReadOnlyList<DecisionRecord> Records { get; set; } = [];

    private string Name => StatusText.MergeRequest(Records.FirstOrDefault(r => r.ProjectPath is not null)?.ProjectPath, ProjectId, Iid);
}
