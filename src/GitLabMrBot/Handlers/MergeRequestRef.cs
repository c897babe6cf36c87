namespace GitLabMrBot.Handlers;

/// <summary>A merge request as the API addresses it: project id and project-scoped iid.</summary>
public readonly record struct MergeRequestRef(long ProjectId, long Iid)
{
    public override string ToString() => $"{ProjectId}!{Iid}";
}
