using System.Net;
using System.Text.Json;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Health;
using Microsoft.Extensions.DependencyInjection;

namespace GitLabMrBot.FunctionalTests.Health;

public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_is_200_when_the_store_answers_and_healthz_always_200()
    {
        await using var host = await BotHost.StartAsync();

        using var ready = await host.Client.GetAsync("/readyz");
        using var healthy = await host.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ready", body.GetProperty("checks").GetProperty("inbox").GetString());
    }

    [Fact]
    public async Task Readyz_is_503_while_any_registered_check_fails_or_throws()
    {
        var check = new SwitchableCheck();
        await using var host = await BotHost.StartAsync(configureServices: (services, _) =>
            services.AddSingleton<IReadinessCheck>(check));

        check.Mode = SwitchableCheck.State.NotReady;
        using var notReady = await host.Client.GetAsync("/readyz");
        check.Mode = SwitchableCheck.State.Throws;
        using var throws = await host.Client.GetAsync("/readyz");
        check.Mode = SwitchableCheck.State.Ready;
        using var ready = await host.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Contains("\"config\":\"not ready\"", await notReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, throws.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private sealed class SwitchableCheck : IReadinessCheck
    {
        public enum State
        {
            Ready,
            NotReady,
            Throws,
        }

        public volatile State Mode;

        public string Name => "config";

        public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Mode switch
        {
            State.Throws => throw new InvalidOperationException("config not loaded"),
            State.NotReady => Task.FromResult(false),
            _ => Task.FromResult(true),
        };
    }
}
