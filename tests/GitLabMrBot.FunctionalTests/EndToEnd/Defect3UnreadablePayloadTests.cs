using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Sqlite;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 12, defect 3: "one unreadable payload sinks its neighbours". At the door, a delivery the worker could never read is
/// answered 400 naming the field and nothing is stored; in the worker, a stored delivery that still cannot be read (stored by
/// an older version, say) is set aside alone and its batch's valid deliveries are processed; a 404 for the MR or the project
/// ends the delivery at once instead of eight attempts.
/// </summary>
public sealed class Defect3UnreadablePayloadTests
{
    private static readonly HookEvents NoHooks = new(Push: false, MergeRequests: false, Notes: false, ConfidentialNotes: false);

    private static readonly Dictionary<string, string?> Css = new() { ["web/app.css"] = "body { color: red; }\n" };

    /// <summary>The real merge_request.json for <paramref name="mr"/>, changed by <paramref name="change"/>.</summary>
    private static byte[] MergeRequestPayload(long projectId, long iid, Action<JsonNode>? change = null)
    {
        var node = JsonNode.Parse(Payloads.MergeRequest(projectId, iid))!;
        change?.Invoke(node);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    /// <summary>merge_request.json with its title's bytes replaced by a truncated two-byte UTF-8 sequence.</summary>
    internal static byte[] InvalidUtf8Title(long projectId, long iid)
    {
        var body = MergeRequestPayload(projectId, iid, n => n["object_attributes"]!["title"] = "a~b");
        var at = body.AsSpan().IndexOf("a~b"u8);
        body[at + 1] = 0xC3;
        return body;
    }

    public static TheoryData<string, string, string> DoorCases => new()
    {
        // name, field the answer must name, how the real payload is spoiled
        { "title that is a number", "object_attributes.title", "title-number" },
        { "missing object_attributes.id", "object_attributes.id", "no-id" },
        { "invalid UTF-8 inside the title", "object_attributes.title", "utf8" },
        { "changes.title.current a number", "changes.title.current", "change-number" },
        { "iid -5", "object_attributes.iid", "iid:-5" },
        { "iid 0", "object_attributes.iid", "iid:0" },
        { "project id 0", "project.id", "project:0" },
        { "malformed updated_at", "object_attributes.updated_at", "bad-timestamp" },
        { "label without a title", "labels[0].title", "label-title-null" },
    };

    internal static byte[] Spoiled(string how, long projectId, long iid) => how switch
    {
        "title-number" => MergeRequestPayload(projectId, iid, n => n["object_attributes"]!["title"] = 5),
        "no-id" => MergeRequestPayload(projectId, iid, n => n["object_attributes"]!.AsObject().Remove("id")),
        "utf8" => InvalidUtf8Title(projectId, iid),
        "change-number" => MergeRequestPayload(projectId, iid, n => n["changes"] = new JsonObject { ["title"] = new JsonObject { ["previous"] = "a", ["current"] = 3 } }),
        "iid:-5" => MergeRequestPayload(projectId, -5),
        "iid:0" => MergeRequestPayload(projectId, 0),
        "project:0" => MergeRequestPayload(0, iid),
        "bad-timestamp" => MergeRequestPayload(projectId, iid, n => n["object_attributes"]!["updated_at"] = "yesterday"),
        "label-title-null" => MergeRequestPayload(projectId, iid, n => n["labels"] = new JsonArray(new JsonObject { ["id"] = 1, ["title"] = null })),
        _ => throw new ArgumentOutOfRangeException(nameof(how)),
    };

    [Theory]
    [MemberData(nameof(DoorCases))]
    public async Task Defect3_unreadable_payload_is_400_naming_the_field_and_nothing_is_stored(string name, string field, string how)
    {
        await using var bot = await BotHost.StartAsync();

        using var response = await bot.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Spoiled(how, 42, 7)));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(field, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await bot.Store.ListAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task Defect3_unreadable_payload_newest_in_its_MRs_batch_is_set_aside_alone_and_valid_neighbours_are_labelled()
    {
        await using var env = await BotWithGitLab.StartAsync(hookEvents: NoHooks);
        var first = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: Css);
        var second = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style more", "styles-2", files: Css);

        // Stored while the bot is down, as an older version without the door's check would have: one batch per MR on restart.
        await env.StopBotAsync();
        string unreadableId;
        await using (var store = new SqliteInboxStore(env.DatabasePath, TimeProvider.System))
        {
            var t0 = DateTimeOffset.UtcNow;
            await store.AppendAsync(Delivery("valid-1", first, MergeRequestPayload(first.ProjectId, first.Iid), t0), CancellationToken.None);
            unreadableId = (await store.AppendAsync(Delivery("unreadable-1", first, InvalidUtf8Title(first.ProjectId, first.Iid), t0.AddSeconds(1)), CancellationToken.None)).DeliveryId;
            await store.AppendAsync(Delivery("valid-2", second, MergeRequestPayload(second.ProjectId, second.Iid), t0.AddSeconds(2)), CancellationToken.None);
        }
        await env.StartBotAsync();
        await env.WaitForQuietAsync();

        Assert.Contains("frontend", env.GitLab.GetMergeRequest(first).Labels);
        Assert.Contains("frontend", env.GitLab.GetMergeRequest(second).Labels);
        var deliveries = await env.Bot.Store.ListAsync(null, CancellationToken.None);
        var dead = Assert.Single(deliveries, d => d.Status == DeliveryStatus.Dead);
        Assert.Equal(unreadableId, dead.Id);
        Assert.Equal(1, dead.Attempts);
        Assert.Contains("object_attributes.title", dead.LastError, StringComparison.Ordinal);
        Assert.All(deliveries.Where(d => d.Id != unreadableId), d => Assert.Equal(DeliveryStatus.Done, d.Status));
    }

    public static TheoryData<string, long?, long> MissingMergeRequests => new()
    {
        // name, project id (null: the test GitLab's project), iid
        { "iid 2^63-1", null, long.MaxValue },
        { "iid of no MR", null, 4242 },
        { "unknown project", 987_654_321, 1 },
    };

    [Theory]
    [MemberData(nameof(MissingMergeRequests))]
    public async Task Defect3_a_404_for_the_MR_or_project_ends_the_delivery_at_once_without_retries(string name, long? projectId, long iid)
    {
        await using var env = await BotWithGitLab.StartAsync(hookEvents: NoHooks);
        var project = projectId ?? env.Project.Id;

        using var response = await env.Bot.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", MergeRequestPayload(project, iid)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await env.WaitForQuietAsync();

        var delivery = Assert.Single(await env.Bot.Store.ListAsync(null, CancellationToken.None));
        Assert.True(delivery.Status == DeliveryStatus.Done && delivery.Attempts == 0,
            $"{name}: {delivery.Status} after {delivery.Attempts} failed attempts ({delivery.LastError})");
        var reads = env.GitLab.Actions.Count(a => a.StartsWith($"GET /projects/{project}/merge_requests/{iid}", StringComparison.Ordinal));
        Assert.Equal(1, reads);
        Assert.Contains(env.Bot.Logs.Entries, e => e.Message.Contains("does not exist for the bot", StringComparison.Ordinal));
    }

    private static NewDelivery Delivery(string key, GitLabMergeRequest mr, byte[] body, DateTimeOffset at) =>
        new(key, "Merge Request Hook", $"mr:{mr.ProjectId}:{mr.Iid}", null, at, body);
}
