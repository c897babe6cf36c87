using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace GitLabMrBot.TestGitLab.Tests;

public sealed class FaultTests : GitLabTestBase
{
    private string MrPath(GitLabMergeRequest mr) => $"projects/{Project.Id}/merge_requests/{mr.Iid}";

    [Fact]
    public async Task Rate_limit_fault_answers_429_with_retry_after_and_applies_nothing()
    {
        var mr = OpenMr();
        Server.InjectFault("PUT", "/projects/:id/merge_requests/:iid", Fault.RateLimited(retryAfterSeconds: 7));

        var limited = await PutJson(MrPath(mr), new { add_labels = "frontend" });
        var retried = await PutJson(MrPath(mr), new { add_labels = "frontend" });

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), limited.Headers.RetryAfter!.Delta);
        Assert.Equal("0", limited.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.Equal("throttle_authenticated_api", limited.Headers.GetValues("RateLimit-Name").Single());
        Assert.True(long.Parse(limited.Headers.GetValues("RateLimit-Reset").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(limited.Headers.Contains("RateLimit-ResetTime"));
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(["mrbot add frontend"], Server.GetLabelEvents(mr).Select(e => $"{e.User} {e.Action} {e.Label}"));
        Assert.Equal(new string?[] { "429", null }, Server.Writes.Select(w => w.Fault));
    }

    [Fact]
    public async Task Server_error_before_applying_changes_nothing()
    {
        var mr = OpenMr();
        Server.InjectFault("POST", "/projects/*/merge_requests/*/notes", Fault.ServerError());

        var failed = await Api.PostAsJsonAsync($"{MrPath(mr)}/notes", new { body = "summary" });

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("""{"message":"500 Internal Server Error"}""", await failed.Content.ReadAsStringAsync());
        Assert.Empty(Server.GetNotes(mr));
    }

    [Fact]
    public async Task Server_error_after_applying_keeps_the_change_and_its_webhook()
    {
        var mr = OpenMr();
        await Server.WaitForDeliveriesAsync();
        var before = Server.Deliveries.Count;
        Server.InjectFault("POST", "/projects/**", Fault.ServerError(afterApplying: true));

        var failed = await Api.PostAsJsonAsync($"{MrPath(mr)}/notes", new { body = "summary" });
        await Server.WaitForDeliveriesAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        var note = Assert.Single(Server.GetNotes(mr));
        Assert.Equal("summary", note.Body);
        Assert.Equal(["Note Hook"], Server.Deliveries.Skip(before).Select(d => d.Event));
        Assert.Equal(500, Server.Writes.Single().Status);
        Assert.Equal("500-after-apply", Server.Writes.Single().Fault);
    }

    [Fact]
    public async Task Dropped_connection_gives_no_response_and_applies_nothing()
    {
        var mr = OpenMr();
        Server.InjectFault("PUT", $"/projects/{Project.Id}/merge_requests/{mr.Iid}", Fault.DropConnection());

        await Assert.ThrowsAsync<HttpRequestException>(() => PutJson(MrPath(mr), new { add_labels = "frontend" }));
        var after = await PutJson(MrPath(mr), new { add_labels = "backend" });

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(["backend"], Server.GetMergeRequest(mr).Labels);
        Assert.Equal(new string?[] { "dropped", null }, Server.Writes.Select(w => w.Fault));
        Assert.Equal(0, Server.Writes[0].Status);
    }

    [Fact]
    public async Task Latency_delays_the_answer_then_serves_it()
    {
        var mr = OpenMr();
        var delay = TimeSpan.FromMilliseconds(300);
        Server.InjectFault("GET", "/projects/:id/merge_requests/:iid", Fault.Latency(delay));
        using var impatient = NewClient(Bot.Token);
        impatient.Timeout = TimeSpan.FromMilliseconds(50);
        Server.InjectFault("GET", "/user", Fault.Latency(TimeSpan.FromSeconds(5)));

        var watch = Stopwatch.StartNew();
        var slow = await Api.GetAsync(MrPath(mr));
        watch.Stop();
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync("user"));

        Assert.Equal(HttpStatusCode.OK, slow.StatusCode);
        Assert.True(watch.Elapsed >= delay, $"answered after {watch.Elapsed}");
        Assert.Equal(mr.Iid, (int)(await Json(slow))["iid"]!);
    }

    [Fact]
    public async Task A_fault_hits_only_the_next_n_matching_requests()
    {
        var mr = OpenMr();
        var rule = Server.InjectFault("*", "/projects/*/merge_requests/*", Fault.ServerError(), times: 2);

        var other = await Api.GetAsync($"projects/{Project.Id}");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await Api.GetAsync(MrPath(mr))).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal([HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError, HttpStatusCode.OK], statuses);
        Assert.Equal(0, rule.Remaining);
    }
}
