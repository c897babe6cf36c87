using System.Net;
using System.Text.Json;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

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
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal("ready", body.GetProperty("checks").GetProperty("inbox").GetString());
        Assert.Equal("ready", body.GetProperty("checks").GetProperty("config").GetString());
        Assert.Equal("ok", JsonDocument.Parse(await healthy.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_is_503_while_any_registered_check_fails_or_throws_and_healthz_stays_200()
    {
        var check = new SwitchableCheck();
        await using var host = await BotHost.StartAsync(configureServices: (services, _) =>
            services.AddHealthChecks().AddCheck("switchable", check, tags: [HealthEndpoints.ReadyTag]));

        check.Mode = SwitchableCheck.State.NotReady;
        using var notReady = await host.Client.GetAsync("/readyz");
        using var aliveWhileNotReady = await host.Client.GetAsync("/healthz");
        check.Mode = SwitchableCheck.State.Throws;
        using var throws = await host.Client.GetAsync("/readyz");
        check.Mode = SwitchableCheck.State.Ready;
        using var ready = await host.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var body = await notReady.Content.ReadAsStringAsync();
        Assert.Contains("\"status\":\"not ready\"", body, StringComparison.Ordinal);
        Assert.Contains("\"switchable\":\"not ready\"", body, StringComparison.Ordinal);
        Assert.Contains("\"inbox\":\"ready\"", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, aliveWhileNotReady.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, throws.StatusCode);
        Assert.Contains("\"switchable\":\"not ready\"", await throws.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private sealed class SwitchableCheck : IHealthCheck
    {
        public enum State
        {
            Ready,
            NotReady,
            Throws,
        }

        public volatile State Mode;

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Mode switch
        {
            State.Throws => throw new InvalidOperationException("config not loaded"),
            State.NotReady => Task.FromResult(HealthCheckResult.Unhealthy("switched off")),
            _ => Task.FromResult(HealthCheckResult.Healthy()),
        };
    }
}
