using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>A webhook receiver on 127.0.0.1:0 that records what arrives on the wire and answers 200.</summary>
public sealed class HookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Lock gate = new();
    private readonly List<ReceivedHook> received = [];

    private HookReceiver(WebApplication app) => this.app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<ReceivedHook> Received
    {
        get
        {
            lock (gate)
            {
                return [.. received];
            }
        }
    }

    public static async Task<HookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var receiver = new HookReceiver(app);
        app.Run(async context =>
        {
            var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            lock (receiver.gate)
            {
                receiver.received.Add(new ReceivedHook(headers, body));
            }

            context.Response.StatusCode = 200;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.Url = new Uri(address.TrimEnd('/') + "/webhooks/gitlab");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

public sealed record ReceivedHook(IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonObject Payload => JsonNode.Parse(Body)!.AsObject();
}

/// <summary>
/// One fresh emulator per test: root seeds, <c>alice</c> (developer) authors, <c>bob</c> and <c>carol</c> review,
/// <c>mrbot</c> is the bot user (developer, bot flag) whose token <see cref="Api"/> uses; a group hook posts to <see cref="Receiver"/>.
/// </summary>
public abstract class GitLabTestBase : IAsyncLifetime
{
    protected const string HookSecret = "s3cret-hook-token";

    protected TestGitLabServer Server { get; } = new();
    protected HookReceiver Receiver { get; private set; } = null!;
    protected HttpClient Api { get; private set; } = null!;
    protected GitLabUser Alice { get; private set; } = null!;
    protected GitLabUser Bob { get; private set; } = null!;
    protected GitLabUser Carol { get; private set; } = null!;
    protected GitLabUser Bot { get; private set; } = null!;
    protected GitLabGroup Group { get; private set; } = null!;
    protected GitLabProject Project { get; private set; } = null!;
    protected GitLabHook Hook { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await Server.StartAsync();
        Receiver = await HookReceiver.StartAsync();
        Alice = Server.AddUser("alice", "Alice Liddell");
        Bob = Server.AddUser("bob");
        Carol = Server.AddUser("carol");
        Bot = Server.AddUser("mrbot", "MR Bot", bot: true);
        Group = Server.AddGroup("acme");
        Project = Server.AddProject("acme/app", files: new Dictionary<string, string> { ["README.md"] = "# app\n", ["web/app.css"] = "body {}\n" });
        Server.AddMember(Group, Alice, AccessLevel.Developer);
        Server.AddMember(Group, Bob, AccessLevel.Maintainer);
        Server.AddMember(Project, Carol, AccessLevel.Developer);
        Server.AddMember(Project, Bot, AccessLevel.Developer);
        Hook = Server.AddHook(Group, Receiver.Url, HookSecret);
        Api = NewClient(Bot.Token);
    }

    protected HttpClient NewClient(string? token)
    {
        var client = new HttpClient { BaseAddress = Server.ApiUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Add("PRIVATE-TOKEN", token);
        }

        return client;
    }

    protected GitLabMergeRequest OpenMr(string title = "Add styles", IReadOnlyList<string>? labels = null, IReadOnlyList<GitLabUser>? reviewers = null) =>
        Server.OpenMergeRequest(
            Project, Alice, title, $"feature-{Guid.NewGuid():N}",
            files: new Dictionary<string, string?> { ["web/app.css"] = "body { color: red; }\n", ["docs/x.md"] = "# X\n\nNew doc.\n" },
            labels: labels,
            reviewers: reviewers);

    protected static async Task<JsonNode> Json(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    protected async Task<HttpResponseMessage> PutJson(string path, object body, HttpClient? client = null) =>
        await (client ?? Api).PutAsJsonAsync(path, body);

    public virtual async Task DisposeAsync()
    {
        Api.Dispose();
        await Server.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
