namespace GitLabMrBot.Handlers;

/// <summary>A merge request as the API addresses it: project id and project-scoped iid.</summary>
public readonly record struct MergeRequestRef(long ProjectId, long Iid)
{
    /// <summary>The inbox subject of this MR (the same one the webhook router gives its MR and note deliveries).</summary>
    public string Subject => $"mr:{ProjectId}:{Iid}";

    public override string ToString() => $"{ProjectId}!{Iid}";
}
