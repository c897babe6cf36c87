namespace GitLabMrBot.Events;

/// <summary>A merge request as the API addresses it: project id and project-scoped iid.</summary>
public readonly record struct MergeRequestRef(long ProjectId, long Iid)
{
    /// <summary>The inbox subject of this MR (the same one the webhook router gives its MR and note deliveries).</summary>
    public string Subject => $"mr:{ProjectId}:{Iid}";

    /// <summary>The MR an inbox subject names (<c>mr:42:7</c>); null for any other subject.</summary>
    public static MergeRequestRef? FromSubject(string subject)
    {
        var parts = subject.Split(':');
        return parts.Length == 3 && parts[0] == "mr"
            && long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var project)
            && long.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var iid)
                ? new MergeRequestRef(project, iid)
                : null;
    }

    public override string ToString() => $"{ProjectId}!{Iid}";
}
