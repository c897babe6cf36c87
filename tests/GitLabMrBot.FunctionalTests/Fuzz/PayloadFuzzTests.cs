using System.Net;
using System.Text.Json;
using CsCheck;
using GitLabMrBot.Events;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;

namespace GitLabMrBot.FunctionalTests.Fuzz;

/// <summary>
/// Property-based fuzzing of the payload reader (issue 12): random mutations of the real payloads of tests/Payloads, sent to
/// the real bot over HTTP. The door answers 2xx or 4xx, never a 5xx; whatever it accepts, the worker reads (the same records
/// the worker deserializes, and the fields its handlers use), and no accepted delivery is ever set aside as unreadable.
/// <c>MRBOT_FUZZ_ITER</c> raises the iteration count for a long run by hand; CsCheck prints the seed of any failure.
/// </summary>
public sealed class PayloadFuzzTests(BotApplicationFixture fixture) : IClassFixture<BotApplicationFixture>
{
    /// <summary>Enough to exercise every mutation kind on every payload in a couple of seconds in CI.</summary>
    internal static long Iterations(long ci) =>
        long.TryParse(Environment.GetEnvironmentVariable("MRBOT_FUZZ_ITER"), System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : ci;

    private static readonly (string File, string Event)[] Sources =
    [
        ("merge_request.json", GitLabEvents.MergeRequestHook),
        ("merge_request.json", GitLabEvents.SystemHook),
        ("note_mr.json", GitLabEvents.NoteHook),
        ("push.json", GitLabEvents.PushHook),
        ("push.json", GitLabEvents.SystemHook),
    ];

    private static readonly Gen<(int Source, JsonMutation[] Mutations)> Samples =
        Gen.Select(Gen.Int[0, Sources.Length - 1], JsonMutations.Gen);

    [Fact]
    public async Task Mutated_payloads_get_2xx_or_4xx_and_whatever_is_accepted_the_worker_reads()
    {
        var host = fixture.Host;
        var accepted = 0;
        var rejected = 0;

        await Samples.SampleAsync(async sample =>
        {
            var (file, eventHeader) = Sources[sample.Source];
            var body = JsonMutations.Apply(Payloads.Read(file), sample.Mutations);

            using var response = await host.Client.SendAsync(BotHost.WebhookRequest(eventHeader, body));
            var text = await response.Content.ReadAsStringAsync();

            Assert.True((int)response.StatusCode is >= 200 and < 500, $"{(int)response.StatusCode} {text}");
            if (response.StatusCode == HttpStatusCode.Accepted && JsonDocument.Parse(text).RootElement.GetProperty("status").GetString() == "accepted")
            {
                AssertWorkerReads(eventHeader, body);
                Interlocked.Increment(ref accepted);
            }
            else if ((int)response.StatusCode >= 400)
            {
                Interlocked.Increment(ref rejected);
            }
        }, iter: Iterations(400), threads: 1, print: s => $"{Sources[s.Source]} {string.Join(' ', s.Mutations)}");

        // The real worker read them too: every accepted MR event completes (the fixture's reconciler makes no GitLab call), and
        // nothing accepted was set aside as unreadable.
        await Eventually.HoldsAsync(async () =>
            !(await host.Store.ListAsync(null, CancellationToken.None)).Any(d => d.Event == GitLabEvents.MergeRequestHook && d.Status != DeliveryStatus.Done),
            "every accepted merge request event to be done", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains("cannot be read", StringComparison.Ordinal));
        // Both outcomes happened: a fuzzer that only ever hits one side tests nothing.
        Assert.True(accepted > 0 && rejected > 0, $"{accepted} accepted, {rejected} rejected");
    }

    /// <summary>What the worker does with a delivery before any GitLab call: deserialize it and read the fields its handler reads.</summary>
    internal static void AssertWorkerReads(string eventHeader, byte[] body)
    {
        string? objectKind = null;
        using (var document = JsonDocument.Parse(body))
        {
            if (document.RootElement.TryGetProperty("object_kind", out var kind) && kind.ValueKind == JsonValueKind.String)
            {
                objectKind = kind.GetString();
            }
        }
        switch (GitLabEvents.KindOf(eventHeader, objectKind))
        {
            case WebhookEventKind.MergeRequest:
                var mergeRequest = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.MergeRequestEvent)!;
                Assert.True(mergeRequest.Project.Id > 0 && mergeRequest.ObjectAttributes.Iid > 0);
                _ = (mergeRequest.ObjectAttributes.Action, mergeRequest.ObjectAttributes.State);
                break;
            case WebhookEventKind.Note:
                var note = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.NoteEvent)!;
                Assert.True(note.EffectiveProjectId > 0 && note.MergeRequest!.Iid > 0);
                _ = (note.ObjectAttributes.NoteableType, note.ObjectAttributes.Note, note.ObjectAttributes.System, note.ObjectAttributes.AuthorId ?? note.User?.Id);
                break;
            case WebhookEventKind.Push:
                var push = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.PushEvent)!;
                Assert.True(push.EffectiveProjectId > 0);
                Assert.NotNull(push.Branch);
                Assert.False(push.IsDeletion);
                break;
            default:
                Assert.Fail($"An accepted delivery of no handled kind: {eventHeader}, object_kind {objectKind}");
                break;
        }
    }
}
