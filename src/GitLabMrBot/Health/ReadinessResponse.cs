using System.Text.Json.Serialization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GitLabMrBot.Health;

/// <summary>
/// <c>/readyz</c>'s JSON body: the overall word, each check's word (as before), why each unready check is unready, and what
/// the informational checks found (GitLab's reachability, the inbox backlog).
/// </summary>
internal static class ReadinessResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new ReadinessBody(
            Word(report.Status),
            report.Entries.ToDictionary(e => e.Key, e => Word(e.Value.Status), StringComparer.Ordinal),
            Reasons(report),
            report.Entries.TryGetValue(HealthEndpoints.GitLabCheck, out var gitLab) ? Details(gitLab) : null,
            report.Entries.TryGetValue(HealthEndpoints.BacklogCheck, out var backlog) ? Details(backlog) : null));

    // Why each check that is not ready is not (left out when every check is ready).
    private static Dictionary<string, string>? Reasons(HealthReport report)
    {
        var reasons = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
            .ToDictionary(e => e.Key, e => e.Value.Description ?? e.Value.Exception?.Message ?? "no reason given", StringComparer.Ordinal);
        return reasons.Count == 0 ? null : reasons;
    }

    private static Dictionary<string, object> Details(HealthReportEntry entry)
    {
        var details = new Dictionary<string, object>(entry.Data, StringComparer.Ordinal);
        if (entry.Description is { } description)
        {
            details["summary"] = description;
        }
        return details;
    }

    private static string Word(HealthStatus status) => status == HealthStatus.Healthy ? "ready" : "not ready";
}

internal sealed record ReadinessBody(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("checks")] IReadOnlyDictionary<string, string> Checks,
    [property: JsonPropertyName("reasons"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Reasons,
    [property: JsonPropertyName("gitlab")] IReadOnlyDictionary<string, object>? GitLab,
    [property: JsonPropertyName("inbox")] IReadOnlyDictionary<string, object>? Inbox);
