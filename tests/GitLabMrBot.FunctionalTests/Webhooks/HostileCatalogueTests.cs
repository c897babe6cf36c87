using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;

namespace GitLabMrBot.FunctionalTests.Webhooks;

/// <summary>
/// Issue 12's hostile catalogue: requests an attacker (or a broken sender) makes, each against the real bot over HTTP
/// with its real SQLite inbox. For every row: the expected status, never a 5xx, nothing stored unless the answer is
/// <c>accepted</c>, and afterwards <c>/healthz</c> still answers and a valid delivery is still accepted.
/// One xunit row per case; the table is <see cref="Cases"/>.
/// </summary>
public sealed class HostileCatalogueTests(BotApplicationFixture fixture) : IClassFixture<BotApplicationFixture>
{
    private const string MrHook = "Merge Request Hook";
    private const string NoteHook = "Note Hook";
    private const string PushHook = "Push Hook";

    private static readonly HttpStatusCode Accepted = HttpStatusCode.Accepted;
    private static readonly HttpStatusCode BadRequest = HttpStatusCode.BadRequest;
    private static readonly HttpStatusCode Unauthorized = HttpStatusCode.Unauthorized;
    private static readonly HttpStatusCode UnsupportedMediaType = HttpStatusCode.UnsupportedMediaType;
    private static readonly HttpStatusCode MethodNotAllowed = HttpStatusCode.MethodNotAllowed;

    /// <summary>One hostile request: how to build it, the status it must get, and whether that answer stores a delivery.</summary>
    public sealed record HostileCase(Func<HttpRequestMessage> Build, HttpStatusCode Expected, bool Stores = false);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Mutated(string file, Action<JsonNode> change)
    {
        var node = JsonNode.Parse(Payloads.Read(file))!;
        change(node);
        return Utf8(node.ToJsonString());
    }

    private static byte[] Mr(Action<JsonNode> change) => Mutated("merge_request.json", change);

    private static byte[] Note(Action<JsonNode> change) => Mutated("note_mr.json", change);

    private static byte[] Push(Action<JsonNode> change) => Mutated("push.json", change);

    private static byte[] ValidMr() => Payloads.MergeRequest(Payloads.UniqueProjectId(), 1);

    /// <summary>A body with <paramref name="marker"/> (ASCII) replaced by <paramref name="bytes"/>.</summary>
    private static byte[] WithBytes(byte[] body, string marker, params byte[] bytes)
    {
        var at = body.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker));
        return [.. body[..at], .. bytes, .. body[(at + marker.Length)..]];
    }

    private static Func<HttpRequestMessage> Post(string? eventHeader, Func<byte[]> body, string? token = BotHost.Secret, Action<HttpRequestMessage>? change = null) => () =>
    {
        var request = BotHost.WebhookRequest(eventHeader, body(), token);
        change?.Invoke(request);
        return request;
    };

    private static Func<HttpRequestMessage> Signed(Func<byte[]> body, Func<DateTimeOffset> at, byte[]? key = null, Action<HttpRequestMessage>? change = null) => () =>
    {
        var bytes = body();
        var request = BotHost.WebhookRequest(MrHook, bytes, token: null);
        BotHost.Sign(request, bytes, at(), key);
        change?.Invoke(request);
        return request;
    };

    private static Action<HttpRequestMessage> ContentType(string? value) => request =>
    {
        request.Content!.Headers.ContentType = null;
        if (value is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", value);
        }
    };

    private static Action<HttpRequestMessage> Header(string name, string value) => request => request.Headers.TryAddWithoutValidation(name, value);

    private static Action<HttpRequestMessage> ReplaceHeader(string name, string value) => request =>
    {
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
    };

    private static Func<HttpRequestMessage> Method(string method, string path = "/webhooks/gitlab") => () =>
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("X-Gitlab-Token", BotHost.Secret);
        request.Headers.Add("X-Gitlab-Event", MrHook);
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new ByteArrayContent(ValidMr());
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        return request;
    };

    private static string Deep(int depth) =>
        "{\"object_kind\":\"merge_request\",\"project\":{\"id\":1},\"object_attributes\":{\"id\":1,\"iid\":1,\"x\":" + new string('[', depth) + new string(']', depth) + "}}";

    public static readonly IReadOnlyDictionary<string, HostileCase> Cases = new Dictionary<string, HostileCase>
    {
        // Tokens.
        ["token missing"] = new(Post(MrHook, ValidMr, token: null), Unauthorized),
        ["token wrong"] = new(Post(MrHook, ValidMr, token: "not-the-secret"), Unauthorized),
        ["token retired"] = new(Post(MrHook, ValidMr, token: BotHost.RetiredSecret), Unauthorized),
        ["token empty"] = new(Post(MrHook, ValidMr, token: null, change: Header("X-Gitlab-Token", "")), Unauthorized),
        ["token in other case"] = new(Post(MrHook, ValidMr, token: BotHost.Secret.ToUpperInvariant()), Unauthorized),
        ["token as a prefix of the secret"] = new(Post(MrHook, ValidMr, token: BotHost.Secret[..^1]), Unauthorized),
        ["token overlong (8 KiB)"] = new(Post(MrHook, ValidMr, token: new string('a', 8 * 1024)), Unauthorized),
        ["token is both secrets joined"] = new(Post(MrHook, ValidMr, token: $"{BotHost.PreviousSecret},{BotHost.Secret}"), Unauthorized),
        ["token wrong with a body over the limit"] = new(Post(MrHook, () => new byte[BotApplicationFixture.MaxBodyBytes + 1], token: "nope"), HttpStatusCode.RequestEntityTooLarge),

        // Standard Webhooks signatures.
        ["signature with the wrong key"] = new(Signed(ValidMr, () => DateTimeOffset.UtcNow, key: new byte[32]), Unauthorized),
        ["signature an hour old"] = new(Signed(ValidMr, () => DateTimeOffset.UtcNow.AddHours(-1)), Unauthorized),
        ["signature an hour ahead"] = new(Signed(ValidMr, () => DateTimeOffset.UtcNow.AddHours(1)), Unauthorized),
        ["signature not base64"] = new(Signed(ValidMr, () => DateTimeOffset.UtcNow, change: ReplaceHeader("webhook-signature", "v1,!!!not-base64!!!")), Unauthorized),
        ["signature of another scheme"] = new(Signed(ValidMr, () => DateTimeOffset.UtcNow, change: r => ReplaceHeader("webhook-signature", "v1a," + r.Headers.GetValues("webhook-signature").Single()[3..])(r)), Unauthorized),
        ["signature without webhook-id"] = new(Signed(ValidMr, () => DateTimeOffset.UtcNow, change: r => r.Headers.Remove("webhook-id")), Unauthorized),
        ["signature with another webhook-id"] = new(Signed(ValidMr, () => DateTimeOffset.UtcNow, change: ReplaceHeader("webhook-id", "msg_forged")), Unauthorized),
        ["signature timestamp not a number"] = new(Signed(ValidMr, () => DateTimeOffset.UtcNow, change: ReplaceHeader("webhook-timestamp", "soon")), Unauthorized),
        ["signature over another body"] = new(() =>
        {
            var request = Signed(ValidMr, () => DateTimeOffset.UtcNow)();
            request.Content = new ByteArrayContent(ValidMr());
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return request;
        }, Unauthorized),

        // Content types.
        ["content type missing"] = new(Post(MrHook, ValidMr, change: ContentType(null)), UnsupportedMediaType),
        ["content type text/plain"] = new(Post(MrHook, ValidMr, change: ContentType("text/plain")), UnsupportedMediaType),
        ["content type form"] = new(Post(MrHook, ValidMr, change: ContentType("application/x-www-form-urlencoded")), UnsupportedMediaType),
        ["content type multipart"] = new(Post(MrHook, ValidMr, change: ContentType("multipart/form-data; boundary=x")), UnsupportedMediaType),
        ["content type xml"] = new(Post(MrHook, ValidMr, change: ContentType("application/xml")), UnsupportedMediaType),
        ["content type +json without a subtype"] = new(Post(MrHook, ValidMr, change: ContentType("application/+json")), UnsupportedMediaType),

        // Malformed JSON.
        ["body empty"] = new(Post(MrHook, () => []), BadRequest),
        ["body null"] = new(Post(MrHook, () => Utf8("null")), BadRequest),
        ["body an array"] = new(Post(MrHook, () => Utf8("[{\"object_kind\":\"merge_request\"}]")), BadRequest),
        ["body a string"] = new(Post(MrHook, () => Utf8("\"merge_request\"")), BadRequest),
        ["body truncated"] = new(Post(MrHook, () => ValidMr()[..200]), BadRequest),
        ["body with trailing garbage"] = new(Post(MrHook, () => [.. ValidMr(), .. "}{"u8]), BadRequest),
        ["body with comments"] = new(Post(MrHook, () => Utf8("/* hi */" + Encoding.UTF8.GetString(ValidMr()))), BadRequest),
        ["body with NaN"] = new(Post(MrHook, () => Utf8("""{"object_kind":"merge_request","project":{"id":NaN}}""")), BadRequest),
        ["body nested 65 deep"] = new(Post(MrHook, () => Utf8(Deep(65))), BadRequest),
        ["body nested 30,000 deep"] = new(Post(MrHook, () => Utf8(Deep(30_000))), BadRequest),
        ["iid a huge number"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!["iid"] = JsonNode.Parse("1" + new string('0', 400)))), BadRequest),
        ["iid a fraction"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!["iid"] = 1.5)), BadRequest),
        ["iid an exponent"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!["iid"] = JsonNode.Parse("1e3"))), BadRequest),
        ["invalid UTF-8 in the title"] = new(Post(MrHook, () => WithBytes(Mr(n => n["object_attributes"]!["title"] = "T~T"), "~", 0xC3)), BadRequest),
        ["invalid UTF-8 in an unmodelled field"] = new(Post(MrHook, () => WithBytes(Mr(n => n["zz"] = "T~T"), "~", 0xFF)), BadRequest),
        ["invalid UTF-8 in a member name"] = new(Post(MrHook, () => WithBytes(Mr(n => n["z~z"] = 1), "~", 0xFE)), BadRequest),
        ["overlong UTF-8 encoding of '/'"] = new(Post(MrHook, () => WithBytes(Mr(n => n["object_attributes"]!["description"] = "a~b"), "~", 0xC0, 0xAF)), BadRequest),
        // Found by PayloadFuzzTests (seed aTALo1ktp9d1): the router decoded object_kind and answered 500.
        ["system hook with invalid UTF-8 in object_kind"] = new(Post("System Hook", () => WithBytes(Mr(n => n["object_kind"] = "merge~request"), "~", 0xDD)), BadRequest),
        ["system hook with invalid UTF-8 in event_name"] = new(Post("System Hook", () => WithBytes(Utf8("""{"event_name":"user~create"}"""), "~", 0xDD)), BadRequest),
        ["push with invalid UTF-8 in ref"] = new(Post(PushHook, () => WithBytes(Push(n => n["ref"] = "refs/heads/a~b"), "~", 0xDD)), BadRequest),
        ["UTF-8 encoded surrogate"] = new(Post(MrHook, () => WithBytes(Mr(n => n["object_attributes"]!["title"] = "a~b"), "~", 0xED, 0xA0, 0x80)), BadRequest),

        // Routing fields of the wrong type or missing.
        ["object_kind a number"] = new(Post(MrHook, () => Mr(n => n["object_kind"] = 1)), BadRequest),
        ["object_kind missing"] = new(Post(MrHook, () => Mr(n => n.AsObject().Remove("object_kind"))), BadRequest),
        ["object_kind contradicts the header"] = new(Post(MrHook, () => Mr(n => n["object_kind"] = "push")), BadRequest),
        ["project missing"] = new(Post(MrHook, () => Mr(n => n.AsObject().Remove("project"))), BadRequest),
        ["project null"] = new(Post(MrHook, () => Mr(n => n["project"] = null)), BadRequest),
        ["project.id a string"] = new(Post(MrHook, () => Mr(n => n["project"]!["id"] = "1")), BadRequest),
        ["project.id negative"] = new(Post(MrHook, () => Mr(n => n["project"]!["id"] = -1)), BadRequest),
        ["object_attributes an array"] = new(Post(MrHook, () => Mr(n => n["object_attributes"] = new JsonArray())), BadRequest),
        ["object_attributes.iid a string"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!["iid"] = "7")), BadRequest),
        ["note noteable_type a number"] = new(Post(NoteHook, () => Note(n => n["object_attributes"]!["noteable_type"] = 1)), BadRequest),
        ["note merge_request missing"] = new(Post(NoteHook, () => Note(n => n.AsObject().Remove("merge_request"))), BadRequest),
        ["note merge_request.iid a string"] = new(Post(NoteHook, () => Note(n => n["merge_request"]!["iid"] = "1")), BadRequest),
        ["note without any project id"] = new(Post(NoteHook, () => Note(n => { n.AsObject().Remove("project"); n.AsObject().Remove("project_id"); })), BadRequest),
        ["push ref a number"] = new(Post(PushHook, () => Push(n => n["ref"] = 1)), BadRequest),
        ["push without any project id"] = new(Post(PushHook, () => Push(n => { n.AsObject().Remove("project"); n.AsObject().Remove("project_id"); })), BadRequest),

        // Fields the worker reads, of the wrong type (issue 12, defect 3).
        ["MR title a number"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!["title"] = 5)), BadRequest),
        ["MR object_attributes.id missing"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!.AsObject().Remove("id"))), BadRequest),
        ["MR iid -5"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!["iid"] = -5)), BadRequest),
        ["MR iid 0"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!["iid"] = 0)), BadRequest),
        ["MR draft a string"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!["draft"] = "yes")), BadRequest),
        ["MR updated_at not a time"] = new(Post(MrHook, () => Mr(n => n["object_attributes"]!["updated_at"] = "yesterday")), BadRequest),
        ["MR labels an object"] = new(Post(MrHook, () => Mr(n => n["labels"] = new JsonObject())), BadRequest),
        ["MR label title null"] = new(Post(MrHook, () => Mr(n => n["labels"] = new JsonArray(new JsonObject { ["title"] = null }))), BadRequest),
        ["MR changes.labels.current a string"] = new(Post(MrHook, () => Mr(n => n["changes"] = new JsonObject { ["labels"] = new JsonObject { ["current"] = "x" } })), BadRequest),
        ["MR assignee id a string"] = new(Post(MrHook, () => Mr(n => n["assignees"] = new JsonArray(new JsonObject { ["id"] = "x" }))), BadRequest),
        ["MR user an array"] = new(Post(MrHook, () => Mr(n => n["user"] = new JsonArray())), BadRequest),
        ["note object_attributes.id missing"] = new(Post(NoteHook, () => Note(n => n["object_attributes"]!.AsObject().Remove("id"))), BadRequest),
        ["note text a number"] = new(Post(NoteHook, () => Note(n => n["object_attributes"]!["note"] = 1)), BadRequest),
        ["note system a string"] = new(Post(NoteHook, () => Note(n => n["object_attributes"]!["system"] = "true")), BadRequest),
        ["note merge_request.iid 0"] = new(Post(NoteHook, () => Note(n => n["merge_request"]!["iid"] = 0)), BadRequest),
        ["push commit without an id"] = new(Post(PushHook, () => Push(n => n["commits"]![0]!.AsObject().Remove("id"))), BadRequest),
        ["push commits an object"] = new(Post(PushHook, () => Push(n => n["commits"] = new JsonObject())), BadRequest),
        ["push total_commits_count a string"] = new(Post(PushHook, () => Push(n => n["total_commits_count"] = "4")), BadRequest),
        ["push project_id 0"] = new(Post(PushHook, () => Push(n => n["project_id"] = 0)), BadRequest),

        // Events the bot does not handle: acknowledged, never stored.
        ["event unknown"] = new(Post("Pipeline Hook", () => Payloads.Read("pipeline.json")), Accepted),
        ["event in other case"] = new(Post("merge request hook", ValidMr), Accepted),
        ["event header missing"] = new(Post(null, ValidMr), BadRequest),
        ["system hook instance event"] = new(Post("System Hook", () => Utf8("""{"event_name":"user_create","name":"x"}""")), Accepted),
        ["note on an issue"] = new(Post(NoteHook, () => Payloads.Read("note_issue.json")), Accepted),
        ["push of a tag"] = new(Post("Tag Push Hook", () => Payloads.Read("tag_push.json")), Accepted),
        ["push deleting a branch"] = new(Post(PushHook, () => Push(n => n["after"] = new string('0', 40))), Accepted),

        // Headers.
        ["header of 64 KiB"] = new(Post(MrHook, ValidMr, change: Header("X-Padding", new string('a', 64 * 1024))), HttpStatusCode.RequestHeaderFieldsTooLarge),
        ["200 headers"] = new(Post(MrHook, ValidMr, change: r => { for (var i = 0; i < 200; i++) { r.Headers.TryAddWithoutValidation($"X-H{i}", "v"); } }), HttpStatusCode.RequestHeaderFieldsTooLarge),
        ["Idempotency-Key of 4 KiB"] = new(Post(MrHook, ValidMr, change: ReplaceHeader("Idempotency-Key", new string('k', 4096))), Accepted, Stores: true),
        ["event UUID not a UUID"] = new(Post(MrHook, ValidMr, change: ReplaceHeader("X-Gitlab-Event-UUID", "'; DROP TABLE deliveries; --")), Accepted, Stores: true),

        // Methods and paths.
        ["GET the webhook"] = new(Method("GET"), MethodNotAllowed),
        ["PUT the webhook"] = new(Method("PUT"), MethodNotAllowed),
        ["DELETE the webhook"] = new(Method("DELETE"), MethodNotAllowed),
        ["PATCH the webhook"] = new(Method("PATCH"), MethodNotAllowed),
        ["POST below the webhook"] = new(Method("POST", "/webhooks/gitlab/extra"), HttpStatusCode.NotFound),
        ["POST above the webhook"] = new(Method("POST", "/webhooks"), HttpStatusCode.NotFound),
        ["POST with an encoded traversal"] = new(Method("POST", "/webhooks/gitlab/%2e%2e/%2e%2e/inbox"), HttpStatusCode.NotFound),
        // The health endpoints answer any method; what matters is that nothing is stored.
        ["POST to healthz"] = new(Method("POST", "/healthz"), HttpStatusCode.OK),

        // Size.
        ["body over the limit"] = new(Post(MrHook, () => Mr(n => n["pad"] = new string('x', (int)BotApplicationFixture.MaxBodyBytes))), HttpStatusCode.RequestEntityTooLarge),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Fact]
    public void The_catalogue_has_at_least_60_cases() => Assert.True(Cases.Count >= 60, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Hostile_request_gets_its_status_and_leaves_the_bot_healthy(string name)
    {
        var host = fixture.Host;
        var hostile = Cases[name];
        var before = await StoredCountAsync(host);

        using var response = await host.Client.SendAsync(hostile.Build());
        var text = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode < 500, $"{name}: {(int)response.StatusCode} {text}");
        Assert.True(hostile.Expected == response.StatusCode, $"{name}: expected {(int)hostile.Expected}, got {(int)response.StatusCode} {text}");
        var accepted = response.StatusCode == HttpStatusCode.Accepted && JsonDocument.Parse(text).RootElement.GetProperty("status").GetString() == "accepted";
        Assert.Equal(hostile.Stores, accepted);
        Assert.Equal(before + (hostile.Stores ? 1 : 0), await StoredCountAsync(host));

        // Healthy afterwards.
        using var health = await host.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var valid = await host.Client.SendAsync(BotHost.WebhookRequest(MrHook, ValidMr()));
        Assert.Equal(HttpStatusCode.Accepted, valid.StatusCode);
        Assert.Equal(before + (hostile.Stores ? 2 : 1), await StoredCountAsync(host));
    }

    private static async Task<int> StoredCountAsync(BotHost host) => (await host.Store.ListAsync(null, CancellationToken.None)).Count;
}
