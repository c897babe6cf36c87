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
    public void The_folder_holds_the_seven_real_payloads() => Assert.Equal(7, Files.Count);

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
                Assert.Equal($"mr:{mergeRequest.Project.Id}:{mergeRequest.ObjectAttributes.Iid}", route.Subject);
                Assert.Equal("MS-Viewport", mergeRequest.ObjectAttributes.Title);
                Assert.Equal(new DateTimeOffset(2013, 12, 3, 17, 23, 34, TimeSpan.Zero), mergeRequest.ObjectAttributes.UpdatedAt);
                Assert.Equal(["API"], mergeRequest.ObjectAttributes.Labels!.Select(l => l.Title));
                Assert.Equal(["Platform"], mergeRequest.Changes!.Labels!.Current!.Select(l => l.Title));
                Assert.False(mergeRequest.Changes.Draft!.Current);
                Assert.Equal("user1", Assert.Single(mergeRequest.Reviewers!).Username);
                Assert.NotNull(mergeRequest.ExtensionData);
                break;
            case WebhookEventKind.Note:
                var note = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.NoteEvent)!;
                Assert.Equal($"mr:{note.EffectiveProjectId}:{note.MergeRequest!.Iid}", route.Subject);
                Assert.Equal("This MR needs work.", note.ObjectAttributes.Note);
                Assert.Equal(new DateTimeOffset(2015, 5, 17, 18, 21, 36, TimeSpan.Zero), note.ObjectAttributes.UpdatedAt);
                break;
            default:
                var push = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.PushEvent)!;
                Assert.Equal($"push:{push.EffectiveProjectId}:{push.Ref}", route.Subject);
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
