using System.Text.Json.Nodes;

namespace GitLabMrBot.FunctionalTests.Infrastructure;

/// <summary>The real GitLab payloads of <c>tests/Payloads/</c> (docs/gitlab-behaviour.md §2.4), and variants of them.</summary>
public static class Payloads
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Payloads");

    public static IEnumerable<string> Files => Directory.EnumerateFiles(Folder, "*.json").Order(StringComparer.Ordinal);

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Folder, name));

    /// <summary>The real <c>merge_request.json</c> for another project and MR, so tests never share a subject.</summary>
    public static byte[] MergeRequest(long projectId, long iid)
    {
        var node = JsonNode.Parse(Read("merge_request.json"))!;
        node["project"]!["id"] = projectId;
        node["object_attributes"]!["iid"] = iid;
        return System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static long _next = Environment.TickCount64 % 1_000_000 * 1000;

    /// <summary>A project id no other test uses.</summary>
    public static long UniqueProjectId() => Interlocked.Increment(ref _next);
}
