using System.Globalization;
using GitLabMrBot.Storage;

namespace GitLabMrBot.Admin.Status;

/// <summary>How the status views write times, ages and MRs: UTC, invariant, short.</summary>
public static class StatusText
{
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Age(TimeSpan age) => age switch
    {
        { TotalSeconds: < 1 } => "just now",
        { TotalMinutes: < 1 } => $"{age.TotalSeconds:0} s",
        { TotalHours: < 1 } => $"{age.TotalMinutes:0} min",
        { TotalDays: < 2 } => $"{age.TotalHours:0.#} h",
        _ => $"{age.TotalDays:0.#} days",
    };

    public static string Ago(DateTimeOffset at, DateTimeOffset now) => at >= now.AddSeconds(-1) ? "just now" : Age(now - at) + " ago";

    public static string Duration(double milliseconds) =>
        milliseconds < 1000 ? $"{milliseconds:0} ms" : $"{milliseconds / 1000:0.0} s";

    /// <summary><c>group/project!iid</c>, or the project's id when the record does not know its path.</summary>
    public static string MergeRequest(DecisionRecord record) => MergeRequest(record.ProjectPath, record.ProjectId, record.Iid);

    public static string MergeRequest(string? projectPath, long projectId, long iid) =>
        projectPath is { Length: > 0 } ? $"{projectPath}!{iid}" : $"project {projectId}!{iid}";

    public static string DecisionsLink(long projectId, long iid) =>
        string.Create(CultureInfo.InvariantCulture, $"/status/merge-requests/{projectId}/{iid}");
}
