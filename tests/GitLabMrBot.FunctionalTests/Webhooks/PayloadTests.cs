using System.Net;
using System.Text.Json;
using GitLabMrBot.Events;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Webhooks;

namespace GitLabMrBot.FunctionalTests.Webhooks;

/// <summary>Every real GitLab payload in <c>Payloads/</c>: routed, parsed by the processor's JSON context, and answered over HTTP.</summary>
public sealed class PayloadTests(BotApplicationFixture fixture) : IClassFixture<BotApplicationFixture>
{
    // The header GitLab sends with each object_kind (docs/gitlab-behaviour.md §1.2).
    private static readonly Dictionary<string, string> Headers = new(StringComparer.Ordinal)
    {
        ["merge_request"] = "Merge Request Hook",
        ["note"] = "Note Hook",
        ["push"] = "Push Hook",
        ["tag_push"] = "Tag Push Hook",
        ["pipeline"] = "Pipeline Hook",
        ["issue"] = "Issue Hook",
    };

    private static readonly string[] HandledFiles = ["merge_request.json", "note_mr.json", "push.json"];
    private static readonly string[] IgnoredFiles = ["note_commit.json", "note_issue.json", "pipeline.json", "tag_push.json"];

    public static TheoryData<string> Files => [.. Payloads.Files.Select(f => Path.GetFileName(f))];

    private static (string Header, byte[] Body, WebhookRoute Route) Load(string file)
    {
        var body = Payloads.Read(file);
        using var document = JsonDocument.Parse(body);
        var header = Headers[document.RootElement.GetProperty("object_kind").GetString()!];
        return (header, body, WebhookRouter.Route(header, document.RootElement));
    }

    [Fact]
    public void The_folder_holds_exactly_the_known_payloads_each_handled_or_ignored() =>
        Assert.Equal(HandledFiles.Concat(IgnoredFiles).Order(StringComparer.Ordinal), Payloads.Files.Select(f => Path.GetFileName(f)));

    public static TheoryData<string, string> IgnoredReasons => new()
    {
        { "note_commit.json", "Notes on Commit are not handled" },
        { "note_issue.json", "Notes on Issue are not handled" },
        { "pipeline.json", "'Pipeline Hook' events are not handled" },
        { "tag_push.json", "'Tag Push Hook' events are not handled" },
    };

    [Theory]
    [MemberData(nameof(IgnoredReasons))]
    public void Ignored_payloads_are_ignored_for_their_own_reason(string file, string reason)
    {
        var (header, _, route) = Load(file);

        Assert.Equal(WebhookRouteOutcome.Ignored, route.Outcome);
        Assert.Equal(header, route.EventName);
        Assert.Null(route.Subject);
        Assert.StartsWith(reason, route.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_payload_is_routed_and_handled_ones_parse_through_the_processor_context(string file)
    {
        var (header, body, route) = Load(file);

        Assert.NotEqual(WebhookRouteOutcome.Invalid, route.Outcome);
        if (route.Outcome == WebhookRouteOutcome.Ignored)
        {
            Assert.Contains(file, IgnoredFiles);
            return;
        }

        Assert.Contains(file, HandledFiles);
        switch (route.Kind)
        {
            case WebhookEventKind.MergeRequest:
                var mergeRequest = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.MergeRequestEvent)!;
                Assert.Equal("mr:1:1", route.Subject);
                Assert.Equal((1, "gitlabhq/gitlab-test"), (mergeRequest.Project.Id, mergeRequest.Project.PathWithNamespace));
                Assert.Equal((99, 1), (mergeRequest.ObjectAttributes.Id, mergeRequest.ObjectAttributes.Iid));
                Assert.Equal(("ms-viewport", "master"), (mergeRequest.ObjectAttributes.SourceBranch, mergeRequest.ObjectAttributes.TargetBranch));
                Assert.Equal(("open", "opened", 51L), (mergeRequest.ObjectAttributes.Action, mergeRequest.ObjectAttributes.State, mergeRequest.ObjectAttributes.AuthorId));
                Assert.Equal("MS-Viewport", mergeRequest.ObjectAttributes.Title);
                Assert.Equal(new DateTimeOffset(2013, 12, 3, 17, 23, 34, TimeSpan.Zero), mergeRequest.ObjectAttributes.UpdatedAt);
                Assert.Equal(["API"], mergeRequest.ObjectAttributes.Labels!.Select(l => l.Title));
                Assert.Equal(["Platform"], mergeRequest.Changes!.Labels!.Current!.Select(l => l.Title));
                Assert.False(mergeRequest.Changes.Draft!.Current);
                Assert.Equal("user1", Assert.Single(mergeRequest.Reviewers!).Username);
                // What the records do not model is kept, not dropped.
                Assert.Equal(["event_type", "repository"], mergeRequest.ExtensionData!.Keys.Order(StringComparer.Ordinal));
                break;
            case WebhookEventKind.Note:
                var note = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.NoteEvent)!;
                Assert.Equal("mr:5:1", route.Subject);
                Assert.Equal((5, "gitlab-org/gitlab-test"), (note.EffectiveProjectId, note.Project!.PathWithNamespace));
                Assert.Equal((1244, "MergeRequest", "create"), (note.ObjectAttributes.Id, note.ObjectAttributes.NoteableType, note.ObjectAttributes.Action));
                Assert.Equal((7L, 1), (note.MergeRequest!.Id, note.MergeRequest.Iid));
                Assert.Equal(("master", "markdown"), (note.MergeRequest.SourceBranch, note.MergeRequest.TargetBranch));
                Assert.Equal("root", note.User!.Username);
                Assert.Equal("This MR needs work.", note.ObjectAttributes.Note);
                Assert.Equal(new DateTimeOffset(2015, 5, 17, 18, 21, 36, TimeSpan.Zero), note.ObjectAttributes.UpdatedAt);
                break;
            default:
                var push = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.PushEvent)!;
                Assert.Equal("push:15:refs/heads/master", route.Subject);
                Assert.Equal((15L, "mike/diaspora"), (push.EffectiveProjectId, push.Project!.PathWithNamespace));
                Assert.Equal(("95790bf891e76fee5e1747ab589903a6a1f80f22", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"), (push.Before, push.After));
                Assert.False(push.IsDeletion);
                Assert.Equal("jsmith", push.UserUsername);
                Assert.Equal(["b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"], push.Commits!.Select(c => c.Id));
                Assert.Equal("master", push.Branch);
                Assert.Equal(4, push.TotalCommitsCount);
                Assert.Contains("CHANGELOG", push.Commits![0].Added!);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Every_payload_is_answered_202_accepted_or_ignored_over_http(string file)
    {
        var (header, body, route) = Load(file);

        using var response = await fixture.Host.Client.SendAsync(BotHost.WebhookRequest(header, body));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(route.Outcome == WebhookRouteOutcome.Handled ? "accepted" : "ignored", answer.GetProperty("status").GetString());
    }
}
