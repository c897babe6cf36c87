using System.Text;
using System.Text.Json;
using GitLabMrBot.Events;
using GitLabMrBot.Webhooks;

namespace GitLabMrBot.UnitTests.Webhooks;

public sealed class WebhookRouterTests
{
    private static WebhookRoute Route(string eventHeader, string json)
    {
        using var document = JsonDocument.Parse(json);
        return WebhookRouter.Route(eventHeader, document.RootElement);
    }

    [Fact]
    public void Merge_request_event_routes_to_its_mr_subject()
    {
        var route = Route("Merge Request Hook", """{"object_kind":"merge_request","project":{"id":42},"object_attributes":{"id":9,"iid":7}}""");

        Assert.Equal(WebhookRouteOutcome.Handled, route.Outcome);
        Assert.Equal(WebhookEventKind.MergeRequest, route.Kind);
        Assert.Equal("mr:42:7", route.Subject);
    }

    [Theory]
    [InlineData("Note Hook")]
    [InlineData("Confidential Note Hook")]
    public void Note_on_merge_request_routes_to_the_mr_subject(string header)
    {
        var route = Route(header, """{"object_kind":"note","project_id":5,"project":{"id":5},"object_attributes":{"id":1,"noteable_type":"MergeRequest"},"merge_request":{"id":7,"iid":1}}""");

        Assert.Equal(WebhookRouteOutcome.Handled, route.Outcome);
        Assert.Equal(WebhookEventKind.Note, route.Kind);
        Assert.Equal("mr:5:1", route.Subject);
    }

    [Fact]
    public void Note_falls_back_to_top_level_project_id()
    {
        var route = Route("Note Hook", """{"object_kind":"note","project_id":6,"object_attributes":{"id":1,"noteable_type":"MergeRequest"},"merge_request":{"iid":3}}""");

        Assert.Equal("mr:6:3", route.Subject);
    }

    [Theory]
    [InlineData("Issue")]
    [InlineData("Commit")]
    [InlineData("Snippet")]
    public void Note_on_anything_but_a_merge_request_is_ignored(string noteableType)
    {
        var route = Route("Note Hook", $$$"""{"object_kind":"note","project_id":5,"object_attributes":{"id":1,"noteable_type":"{{{noteableType}}}"}}""");

        Assert.Equal(WebhookRouteOutcome.Ignored, route.Outcome);
        Assert.Contains(noteableType, route.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Push_routes_to_its_project_and_ref()
    {
        var route = Route("Push Hook", """{"object_kind":"push","project_id":15,"ref":"refs/heads/main","project":{"id":15}}""");

        Assert.Equal(WebhookRouteOutcome.Handled, route.Outcome);
        Assert.Equal(WebhookEventKind.Push, route.Kind);
        Assert.Equal("push:15:refs/heads/main", route.Subject);
    }

    [Fact]
    public void Push_falls_back_to_project_object_id()
    {
        var route = Route("Push Hook", """{"object_kind":"push","ref":"refs/heads/x","project":{"id":16}}""");

        Assert.Equal("push:16:refs/heads/x", route.Subject);
    }

    [Theory]
    [InlineData("Push Hook", """{"object_kind":"push","project_id":1,"ref":"refs/heads/gone","before":"abc","after":"0000000000000000000000000000000000000000","checkout_sha":null}""", "deleting")]
    [InlineData("System Hook", """{"object_kind":"push","project_id":1,"ref":"refs/heads/gone","after":"0000000000000000000000000000000000000000000000000000000000000000"}""", "deleting")]
    [InlineData("Push Hook", """{"object_kind":"push","project_id":1,"ref":"refs/tags/v1","after":"abc"}""", "not a branch push")]
    public void Branch_deletions_and_non_branch_refs_are_ignored(string header, string json, string reason)
    {
        var route = Route(header, json);

        Assert.Equal(WebhookRouteOutcome.Ignored, route.Outcome);
        Assert.Contains(reason, route.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_branch_is_handled()
    {
        var route = Route("Push Hook", """{"object_kind":"push","project_id":1,"ref":"refs/heads/new","before":"0000000000000000000000000000000000000000","after":"abc"}""");

        Assert.Equal(WebhookRouteOutcome.Handled, route.Outcome);
    }

    [Theory]
    [InlineData("Issue Hook")]
    [InlineData("Pipeline Hook")]
    [InlineData("Tag Push Hook")]
    [InlineData("Wiki Page Hook")]
    [InlineData("Job Hook")]
    public void Unhandled_event_headers_are_ignored_with_the_event_named(string header)
    {
        var route = Route(header, """{"object_kind":"whatever"}""");

        Assert.Equal(WebhookRouteOutcome.Ignored, route.Outcome);
        Assert.Equal(header, route.EventName);
        Assert.Null(route.Subject);
    }

    [Fact]
    public void System_hook_routes_on_object_kind()
    {
        var route = Route("System Hook", """{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"id":2,"iid":3}}""");

        Assert.Equal(WebhookRouteOutcome.Handled, route.Outcome);
        Assert.Equal(WebhookEventKind.MergeRequest, route.Kind);
        Assert.Equal("mr:1:3", route.Subject);
    }

    [Fact]
    public void System_hook_instance_events_are_ignored()
    {
        var route = Route("System Hook", """{"event_name":"user_create","user_id":4}""");

        Assert.Equal(WebhookRouteOutcome.Ignored, route.Outcome);
        Assert.Equal("user_create", route.EventName);
    }

    [Fact]
    public void System_hook_with_unhandled_object_kind_is_ignored()
    {
        var route = Route("System Hook", """{"object_kind":"tag_push","project_id":1,"ref":"refs/tags/v1"}""");

        Assert.Equal(WebhookRouteOutcome.Ignored, route.Outcome);
        Assert.Equal("tag_push", route.EventName);
    }

    [Theory]
    [InlineData("[]", "array")]
    [InlineData("\"text\"", "string")]
    [InlineData("12", "number")]
    [InlineData("null", "null")]
    public void Body_that_is_not_an_object_is_invalid(string json, string described)
    {
        var route = Route("Merge Request Hook", json);

        Assert.Equal(WebhookRouteOutcome.Invalid, route.Outcome);
        Assert.Contains(described, route.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"project":{"id":1},"object_attributes":{"iid":2}}""", "object_kind")]
    [InlineData("""{"object_kind":7,"project":{"id":1},"object_attributes":{"iid":2}}""", "object_kind")]
    [InlineData("""{"object_kind":"push","project":{"id":1},"object_attributes":{"iid":2}}""", "contradicts")]
    [InlineData("""{"object_kind":"merge_request","object_attributes":{"iid":2}}""", "project.id")]
    [InlineData("""{"object_kind":"merge_request","project":{"id":"1"},"object_attributes":{"iid":2}}""", "project.id")]
    [InlineData("""{"object_kind":"merge_request","project":{"id":1.5},"object_attributes":{"iid":2}}""", "project.id")]
    [InlineData("""{"object_kind":"merge_request","project":{"id":1}}""", "object_attributes.iid")]
    [InlineData("""{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"iid":null}}""", "object_attributes.iid")]
    public void Merge_request_with_bad_routing_fields_is_invalid(string json, string named)
    {
        var route = Route("Merge Request Hook", json);

        Assert.Equal(WebhookRouteOutcome.Invalid, route.Outcome);
        Assert.Contains(named, route.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"object_kind":"note","project_id":1,"object_attributes":{"id":1},"merge_request":{"iid":1}}""", "noteable_type")]
    [InlineData("""{"object_kind":"note","project_id":1,"object_attributes":{"noteable_type":"MergeRequest"}}""", "merge_request.iid")]
    [InlineData("""{"object_kind":"note","object_attributes":{"noteable_type":"MergeRequest"},"merge_request":{"iid":1}}""", "project")]
    public void Note_with_bad_routing_fields_is_invalid(string json, string named)
    {
        var route = Route("Note Hook", json);

        Assert.Equal(WebhookRouteOutcome.Invalid, route.Outcome);
        Assert.Contains(named, route.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"object_kind":"push","ref":"refs/heads/main"}""", "project_id")]
    [InlineData("""{"object_kind":"push","project_id":1}""", "ref")]
    [InlineData("""{"object_kind":"push","project_id":1,"ref":5}""", "ref")]
    public void Push_with_bad_routing_fields_is_invalid(string json, string named)
    {
        var route = Route("Push Hook", json);

        Assert.Equal(WebhookRouteOutcome.Invalid, route.Outcome);
        Assert.Contains(named, route.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Dedupe_key_prefers_the_idempotency_key()
    {
        const string json = """{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"id":9,"iid":2,"updated_at":"2020-01-01 00:00:00 UTC"}}""";
        using var document = JsonDocument.Parse(json);
        var route = WebhookRouter.Route("Merge Request Hook", document.RootElement);

        var key = WebhookRouter.DedupeKey("4f1d", "uuid-1", route, document.RootElement, Encoding.UTF8.GetBytes(json));

        Assert.Equal("ik:4f1d", key);
    }

    [Fact]
    public void Dedupe_key_falls_back_to_event_uuid_with_object_id_and_updated_at()
    {
        const string first = """{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"id":9,"iid":2,"updated_at":"2020-01-01 00:00:00 UTC"}}""";
        const string later = """{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"id":9,"iid":2,"updated_at":"2020-01-01 00:00:05 UTC"}}""";

        var firstKey = KeyWithoutIdempotencyKey("Merge Request Hook", first, "uuid-1");
        var sameAgain = KeyWithoutIdempotencyKey("Merge Request Hook", first, "uuid-1");
        var laterKey = KeyWithoutIdempotencyKey("Merge Request Hook", later, "uuid-1");

        Assert.StartsWith("eu:uuid-1:", firstKey, StringComparison.Ordinal);
        Assert.Contains("9:2020-01-01 00:00:00 UTC", firstKey, StringComparison.Ordinal);
        Assert.Equal(firstKey, sameAgain);
        Assert.NotEqual(firstKey, laterKey);
    }

    [Fact]
    public void Dedupe_key_for_push_uses_after_sha()
    {
        var key = KeyWithoutIdempotencyKey("Push Hook", """{"object_kind":"push","project_id":1,"ref":"refs/heads/a","after":"abc"}""", "u");

        Assert.Equal("eu:u:push:1:refs/heads/a:abc", key);
    }

    [Fact]
    public void Dedupe_key_without_headers_is_a_body_hash()
    {
        const string json = """{"object_kind":"push","project_id":1,"ref":"refs/heads/a"}""";

        var key = KeyWithoutIdempotencyKey("Push Hook", json, null);
        var other = KeyWithoutIdempotencyKey("Push Hook", json.Replace("/a", "/b", StringComparison.Ordinal), null);

        Assert.Matches("^sha256:[0-9a-f]{64}$", key);
        Assert.NotEqual(key, other);
    }

    private static string KeyWithoutIdempotencyKey(string header, string json, string? eventUuid)
    {
        using var document = JsonDocument.Parse(json);
        var route = WebhookRouter.Route(header, document.RootElement);
        Assert.Equal(WebhookRouteOutcome.Handled, route.Outcome);
        return WebhookRouter.DedupeKey(null, eventUuid, route, document.RootElement, Encoding.UTF8.GetBytes(json));
    }
}
