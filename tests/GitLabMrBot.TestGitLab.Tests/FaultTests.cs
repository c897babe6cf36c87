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
    public async Task Dropped_connection_after_applying_keeps_the_change_and_its_webhook()
    {
        var mr = OpenMr();
        await Server.WaitForDeliveriesAsync();
        var before = Server.Deliveries.Count;
        Server.InjectFault("POST", "/projects/:id/merge_requests/:iid/notes", Fault.DropConnection(afterApplying: true));

        await Assert.ThrowsAsync<HttpRequestException>(() => Api.PostAsJsonAsync($"{MrPath(mr)}/notes", new { body = "summary" }));
        await Server.WaitForDeliveriesAsync();

        Assert.Equal("summary", Assert.Single(Server.GetNotes(mr)).Body);
        Assert.Equal(["Note Hook"], Server.Deliveries.Skip(before).Select(d => d.Event));
        Assert.Equal("dropped-after-apply", Server.Writes.Single().Fault);
        Assert.Equal(0, Server.Writes.Single().Status);
    }

    [Fact]
    public async Task Bad_gateway_and_service_unavailable_answer_as_GitLab_and_apply_nothing()
    {
        var mr = OpenMr();
        Server.InjectFault("PUT", "/projects/:id/merge_requests/:iid", Fault.BadGateway());
        Server.InjectFault("PUT", "/projects/:id/merge_requests/:iid", Fault.ServiceUnavailable());

        var badGateway = await PutJson(MrPath(mr), new { add_labels = "frontend" });
        var unavailable = await PutJson(MrPath(mr), new { add_labels = "frontend" });

        Assert.Equal(HttpStatusCode.BadGateway, badGateway.StatusCode);
        Assert.Equal("text/plain", badGateway.Content.Headers.ContentType!.MediaType);
        Assert.Equal("GitLab is not responding", await badGateway.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal("""{"message":"503 Service Unavailable"}""", await unavailable.Content.ReadAsStringAsync());
        Assert.Empty(Server.GetMergeRequest(mr).Labels);
        Assert.Equal(new string?[] { "502", "503" }, Server.Writes.Select(w => w.Fault));
    }

    [Fact]
    public async Task A_concurrent_change_lands_just_before_the_request_which_then_meets_it()
    {
        Server.InjectFault("POST", "/projects/:id/labels", Fault.ConcurrentChange(() => Server.AddLabel(Project, "type::feature", "#00FF00")));

        var created = await Api.PostAsJsonAsync($"projects/{Project.Id}/labels", new { name = "type::feature", color = "#FF0000" });

        Assert.Equal(HttpStatusCode.Conflict, created.StatusCode);
        Assert.Equal("""{"message":"Label already exists"}""", await created.Content.ReadAsStringAsync());
        Assert.Equal("#00FF00", Server.GetLabels(Project).Single(l => l.Name == "type::feature").Color);
        Assert.Equal(409, Server.Writes.Single().Status);
        Assert.Equal("concurrent-change", Server.Writes.Single().Fault);
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
