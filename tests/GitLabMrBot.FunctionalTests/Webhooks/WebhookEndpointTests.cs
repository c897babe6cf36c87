using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GitLabMrBot.Events;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;

namespace GitLabMrBot.FunctionalTests.Webhooks;

/// <summary>
/// <c>POST /webhooks/gitlab</c> through real HTTP against the real host and SQLite inbox: every status of
/// docs/contract.md §4, nothing stored for a rejected request, and the next valid request accepted after each rejection.
/// </summary>
public sealed class WebhookEndpointTests(BotApplicationFixture fixture) : IClassFixture<BotApplicationFixture>
{
    private BotHost Host => fixture.Host;

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] ValidMergeRequest() => Payloads.MergeRequest(Payloads.UniqueProjectId(), 1);

    private async Task<int> StoredCountAsync() => (await Host.Store.ListAsync(null, CancellationToken.None)).Count;

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>Sends a request that must be rejected: checks the status, the problem body, that nothing was stored, and that a valid request still succeeds.</summary>
    private async Task<JsonElement> AssertRejectedAsync(HttpRequestMessage request, HttpStatusCode status)
    {
        var before = await StoredCountAsync();

        using var response = await Host.Client.SendAsync(request);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await BodyAsync(response);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Equal(before, await StoredCountAsync());

        await AssertAcceptedAsync(ValidMergeRequest());
        return problem;
    }

    private async Task<string> AssertAcceptedAsync(byte[] body, string eventHeader = "Merge Request Hook")
    {
        using var response = await Host.Client.SendAsync(BotHost.WebhookRequest(eventHeader, body));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await BodyAsync(response);
        Assert.Equal("accepted", answer.GetProperty("status").GetString());
        return answer.GetProperty("delivery").GetString()!;
    }

    // 413

    [Fact]
    public async Task Body_over_the_limit_with_content_length_is_413_before_any_other_check()
    {
        var body = new byte[BotApplicationFixture.MaxBodyBytes + 1];
        var request = BotHost.WebhookRequest(null, body, token: null);
        request.Content!.Headers.ContentType = new MediaTypeHeaderValue("text/plain");

        var problem = await AssertRejectedAsync(request, HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains(BotApplicationFixture.MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_413()
    {
        var padding = new string('x', (int)BotApplicationFixture.MaxBodyBytes);
        var body = Json($$"""{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"iid":1},"pad":"{{padding}}"}""");
        var request = BotHost.WebhookRequest("Merge Request Hook", body);
        request.Content = new StreamContent(new NonSeekableStream(body));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;

        await AssertRejectedAsync(request, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Chunked_body_under_the_limit_is_accepted()
    {
        var body = ValidMergeRequest();
        var request = BotHost.WebhookRequest("Merge Request Hook", body);
        request.Content = new StreamContent(new NonSeekableStream(body));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;

        using var response = await Host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var delivery = (await BodyAsync(response)).GetProperty("delivery").GetString();
        var stored = (await Host.Store.ListAsync(null, CancellationToken.None)).Single(d => d.Id == delivery);
        Assert.Equal(body, stored.Body.ToArray());
    }

    // 415

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task Content_type_that_is_not_json_is_415_even_without_a_token(string? contentType)
    {
        var request = BotHost.WebhookRequest("Merge Request Hook", ValidMergeRequest(), token: null);
        request.Content!.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);

        await AssertRejectedAsync(request, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Json_content_type_with_charset_is_accepted()
    {
        var request = BotHost.WebhookRequest("Merge Request Hook", ValidMergeRequest());
        request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

        using var response = await Host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    // 401

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong-secret")]
    [InlineData(BotHost.RetiredSecret)]
    [InlineData(BotHost.Secret + "x")]
    public async Task Missing_wrong_or_rotated_out_token_is_401_and_never_echoed(string? token)
    {
        var request = BotHost.WebhookRequest("Merge Request Hook", ValidMergeRequest(), token: token);

        var problem = await AssertRejectedAsync(request, HttpStatusCode.Unauthorized);

        var text = problem.GetRawText();
        Assert.DoesNotContain(BotHost.Secret, text, StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(token))
        {
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        }
        Assert.Contains(Host.Logs.Entries, e => e.EventId.Id == 1004);
    }

    [Theory]
    [InlineData(BotHost.Secret)]
    [InlineData(BotHost.PreviousSecret)]
    public async Task Every_secret_of_the_rotation_list_is_accepted(string token)
    {
        using var response = await Host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", ValidMergeRequest(), token: token));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Valid_signature_without_a_token_is_accepted()
    {
        var body = ValidMergeRequest();
        var request = BotHost.WebhookRequest("Merge Request Hook", body, token: null);
        BotHost.Sign(request, body, DateTimeOffset.UtcNow);

        using var response = await Host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Signature_with_the_wrong_key_is_401()
    {
        var body = ValidMergeRequest();
        var request = BotHost.WebhookRequest("Merge Request Hook", body, token: null);
        BotHost.Sign(request, body, DateTimeOffset.UtcNow, key: new byte[32]);

        await AssertRejectedAsync(request, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Signature_over_another_body_is_401()
    {
        var body = ValidMergeRequest();
        var request = BotHost.WebhookRequest("Merge Request Hook", body, token: null);
        BotHost.Sign(request, ValidMergeRequest(), DateTimeOffset.UtcNow);

        await AssertRejectedAsync(request, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData(-10)]
    [InlineData(10)]
    public async Task Stale_signature_is_401(int minutes)
    {
        var body = ValidMergeRequest();
        var request = BotHost.WebhookRequest("Merge Request Hook", body, token: null);
        BotHost.Sign(request, body, DateTimeOffset.UtcNow.AddMinutes(minutes));

        await AssertRejectedAsync(request, HttpStatusCode.Unauthorized);
        Assert.Contains(Host.Logs.Entries, e => e.EventId.Id == 1004 && e.Message.Contains("SignatureStale", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Authentication_is_checked_before_the_event_header()
    {
        await AssertRejectedAsync(BotHost.WebhookRequest(null, Json("[]"), token: "wrong"), HttpStatusCode.Unauthorized);
    }

    // 400

    [Fact]
    public async Task Missing_event_header_is_400()
    {
        var problem = await AssertRejectedAsync(BotHost.WebhookRequest(null, ValidMergeRequest()), HttpStatusCode.BadRequest);

        Assert.Contains("X-Gitlab-Event", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[{\"object_kind\":\"merge_request\"}]")]
    [InlineData("\"merge_request\"")]
    [InlineData("42")]
    [InlineData("null")]
    public async Task Body_that_is_not_a_json_object_is_400(string body)
    {
        await AssertRejectedAsync(BotHost.WebhookRequest("Merge Request Hook", Json(body)), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{\"object_kind\":")]
    [InlineData("{object_kind: merge_request}")]
    [InlineData("")]
    [InlineData("not json at all")]
    public async Task Malformed_json_is_400(string body)
    {
        await AssertRejectedAsync(BotHost.WebhookRequest("Merge Request Hook", Json(body)), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Truncated_real_payload_is_400()
    {
        var body = Payloads.Read("merge_request.json");

        await AssertRejectedAsync(BotHost.WebhookRequest("Merge Request Hook", body[..(body.Length / 2)]), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Body_cut_short_of_its_content_length_is_rejected_as_truncated_and_stores_nothing()
    {
        var before = await StoredCountAsync();
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(Host.Address.Host, Host.Address.Port);
            var stream = tcp.GetStream();
            var head = $"POST /webhooks/gitlab HTTP/1.1\r\nHost: {Host.Address.Authority}\r\nContent-Type: application/json\r\n" +
                       $"X-Gitlab-Token: {BotHost.Secret}\r\nX-Gitlab-Event: Merge Request Hook\r\nContent-Length: 5000\r\n\r\n{{\"object_kind\":";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            // The sender gives up mid-body: Kestrel may answer 400 or just close; either way nothing may be stored.
            tcp.Client.Shutdown(SocketShutdown.Send);
            try
            {
                using var reader = new StreamReader(stream, Encoding.ASCII);
                var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(statusLine is null || statusLine.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), statusLine);
            }
            catch (IOException)
            {
                // Connection reset by the server after the client's half-close: no answer to read.
            }
        }

        await Eventually.HoldsAsync(() => Host.Logs.Entries.Any(e => e.EventId.Id == 1003), "the truncated body is logged");
        Assert.DoesNotContain(Host.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        Assert.Equal(before, await StoredCountAsync());
        await AssertAcceptedAsync(ValidMergeRequest());
    }

    [Theory]
    [InlineData("Merge Request Hook", """{"object_kind":"merge_request","project":{"id":1}}""")]
    [InlineData("Merge Request Hook", """{"object_kind":"merge_request","project":{"id":"1"},"object_attributes":{"iid":1}}""")]
    [InlineData("Merge Request Hook", """{"project":{"id":1},"object_attributes":{"iid":1}}""")]
    [InlineData("Merge Request Hook", """{"object_kind":"push","project_id":1,"ref":"refs/heads/main"}""")]
    [InlineData("Note Hook", """{"object_kind":"note","project_id":1,"object_attributes":{"noteable_type":"MergeRequest"}}""")]
    [InlineData("Push Hook", """{"object_kind":"push","project_id":1}""")]
    [InlineData("System Hook", """{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"iid":"7"}}""")]
    public async Task Handled_event_with_missing_or_mistyped_routing_fields_is_400(string eventHeader, string body)
    {
        await AssertRejectedAsync(BotHost.WebhookRequest(eventHeader, Json(body)), HttpStatusCode.BadRequest);
    }

    // 202 ignored

    [Theory]
    [InlineData("Issue Hook", """{"object_kind":"issue","event_type":"issue","project":{"id":1},"object_attributes":{"id":1,"iid":1}}""")]
    [InlineData("Wiki Page Hook", """{"object_kind":"wiki_page","project":{"id":1}}""")]
    [InlineData("System Hook", """{"event_name":"user_create","user_id":41}""")]
    public async Task Unhandled_events_are_202_ignored_and_not_stored(string eventHeader, string body)
    {
        var before = await StoredCountAsync();

        using var response = await Host.Client.SendAsync(BotHost.WebhookRequest(eventHeader, Json(body)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await BodyAsync(response);
        Assert.Equal("ignored", answer.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(answer.GetProperty("reason").GetString()));
        Assert.Equal(before, await StoredCountAsync());
    }

    [Fact]
    public async Task Pipeline_event_is_202_ignored_naming_the_event()
    {
        using var response = await Host.Client.SendAsync(BotHost.WebhookRequest("Pipeline Hook", Payloads.Read("pipeline.json")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await BodyAsync(response);
        Assert.Equal("ignored", answer.GetProperty("status").GetString());
        Assert.Equal("Pipeline Hook", answer.GetProperty("event").GetString());
    }

    [Fact]
    public async Task Note_on_an_issue_is_202_ignored()
    {
        using var response = await Host.Client.SendAsync(BotHost.WebhookRequest("Note Hook", Payloads.Read("note_issue.json")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("ignored", (await BodyAsync(response)).GetProperty("status").GetString());
    }

    // 200 duplicate, 202 accepted

    [Fact]
    public async Task Redelivery_with_the_same_idempotency_key_is_200_duplicate_and_stores_nothing()
    {
        var body = ValidMergeRequest();
        var key = Guid.NewGuid().ToString();
        using var first = await Host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", body, idempotencyKey: key));
        var delivery = (await BodyAsync(first)).GetProperty("delivery").GetString();
        var before = await StoredCountAsync();

        using var second = await Host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", body, idempotencyKey: key));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var answer = await BodyAsync(second);
        Assert.Equal("duplicate", answer.GetProperty("status").GetString());
        Assert.Equal(delivery, answer.GetProperty("delivery").GetString());
        Assert.Equal(before, await StoredCountAsync());
    }

    [Fact]
    public async Task Without_idempotency_key_the_event_uuid_and_object_version_detect_a_redelivery()
    {
        var body = ValidMergeRequest();
        var eventUuid = Guid.NewGuid().ToString();
        HttpRequestMessage Request()
        {
            var request = BotHost.WebhookRequest("Merge Request Hook", body);
            request.Headers.Remove("Idempotency-Key");
            request.Headers.Remove("X-Gitlab-Event-UUID");
            request.Headers.Add("X-Gitlab-Event-UUID", eventUuid);
            return request;
        }

        using var first = await Host.Client.SendAsync(Request());
        using var second = await Host.Client.SendAsync(Request());

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task Accepted_delivery_is_committed_with_its_event_subject_and_raw_body()
    {
        var projectId = Payloads.UniqueProjectId();
        var body = Payloads.MergeRequest(projectId, 12);
        var request = BotHost.WebhookRequest("Merge Request Hook", body);
        var eventUuid = request.Headers.GetValues("X-Gitlab-Event-UUID").Single();

        using var response = await Host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var delivery = (await BodyAsync(response)).GetProperty("delivery").GetString();
        var stored = (await Host.Store.ListAsync(null, CancellationToken.None)).Single(d => d.Id == delivery);
        Assert.Equal("Merge Request Hook", stored.Event);
        Assert.Equal($"mr:{projectId}:12", stored.Subject);
        Assert.Equal(eventUuid, stored.EventUuid);
        Assert.Equal(body, stored.Body.ToArray());
    }

    [Fact]
    public async Task Accepted_delivery_is_processed_and_its_mr_reconciled_with_its_event_uuid()
    {
        var projectId = Payloads.UniqueProjectId();
        var request = BotHost.WebhookRequest("Merge Request Hook", Payloads.MergeRequest(projectId, 3));
        var eventUuid = request.Headers.GetValues("X-Gitlab-Event-UUID").Single();

        using var response = await Host.Client.SendAsync(request);
        var delivery = (await BodyAsync(response)).GetProperty("delivery").GetString()!;

        await Eventually.HoldsAsync(() => fixture.Reconciler.Calls.Any(c => c.MergeRequest == new MergeRequestRef(projectId, 3)), "the MR is reconciled");
        var call = fixture.Reconciler.Calls.Single(c => c.MergeRequest == new MergeRequestRef(projectId, 3));
        Assert.Contains(delivery, call.Context.DeliveryIds);
        Assert.Equal(eventUuid, call.Context.EventUuid);
        await Eventually.HoldsAsync(
            async () => (await Host.Store.ListAsync(DeliveryStatus.Done, CancellationToken.None)).Any(d => d.Id == delivery),
            "the delivery is done");
    }

    [Fact]
    public async Task System_hook_merge_request_is_accepted_and_routed_on_object_kind()
    {
        var projectId = Payloads.UniqueProjectId();

        var delivery = await AssertAcceptedAsync(Payloads.MergeRequest(projectId, 4), "System Hook");

        var stored = (await Host.Store.ListAsync(null, CancellationToken.None)).Single(d => d.Id == delivery);
        Assert.Equal($"mr:{projectId}:4", stored.Subject);
        await Eventually.HoldsAsync(() => fixture.Reconciler.Calls.Any(c => c.MergeRequest == new MergeRequestRef(projectId, 4)), "the MR is reconciled");
    }

    [Fact]
    public async Task Secrets_are_never_logged()
    {
        using var wrong = await Host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", ValidMergeRequest(), token: "guess-" + BotHost.Secret));
        await AssertAcceptedAsync(ValidMergeRequest());

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.DoesNotContain(Host.Logs.Entries, e =>
            e.Message.Contains(BotHost.Secret, StringComparison.Ordinal)
            || e.Message.Contains(BotHost.PreviousSecret, StringComparison.Ordinal)
            || e.Message.Contains(BotHost.GitLabToken, StringComparison.Ordinal)
            || e.Message.Contains(BotHost.SigningToken, StringComparison.Ordinal));
    }

    /// <summary>A stream without a length, so HttpClient sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
