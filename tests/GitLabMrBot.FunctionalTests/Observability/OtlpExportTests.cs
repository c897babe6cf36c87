using System.Collections.Concurrent;
using System.Net;
using System.Text;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitLabMrBot.FunctionalTests.Observability;

/// <summary>Issue 13 item 2: with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, the bot's spans leave over OTLP in the protocol asked for.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Item2_with_the_OTLP_endpoint_set_spans_are_exported_over_http_protobuf()
    {
        var received = new ConcurrentQueue<(string Path, string? ContentType, byte[] Body)>();
        var receiverBuilder = WebApplication.CreateSlimBuilder();
        receiverBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        receiverBuilder.Logging.ClearProviders();
        await using var receiver = receiverBuilder.Build();
        receiver.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path, context.Request.ContentType, body.ToArray()));
            // An empty ExportTraceServiceResponse: zero bytes of protobuf.
            context.Response.ContentType = "application/x-protobuf";
        });
        await receiver.StartAsync();
        var endpoint = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        // Set as an operator sets them: environment variables, read when the host is built. This collection runs alone,
        // so no other test's host sees them.
        var variables = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // The batch exporter's default 5 s delay, shortened so the test is quick.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        };
        foreach (var (name, value) in variables)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
        BotHost bot;
        try
        {
            bot = await BotHost.StartAsync();
        }
        finally
        {
            foreach (var name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
        await using var _ = bot;

        using var answer = await bot.Client.SendAsync(BotHost.WebhookRequest("Pipeline Hook", Encoding.UTF8.GetBytes("""{"object_kind":"pipeline"}""")));
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);

        await Eventually.HoldsAsync(
            () => received.Any(r => Contains(r.Body, "gitlab-mrbot") && Contains(r.Body, "/webhooks/gitlab")),
            "the webhook request's span at the OTLP receiver");
        Assert.All(received, r => Assert.Equal("application/x-protobuf", r.ContentType));
    }

    private static bool Contains(byte[] body, string text) =>
        body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
