using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Startup;

namespace GitLabMrBot.FunctionalTests.Observability;

/// <summary>
/// Issue 13 item 3: <c>Logging__Console__FormatterName=json</c> makes the real process write one JSON object per line
/// (for log shippers), and the same process serves <c>/metrics</c> without credentials.
/// </summary>
public sealed class JsonConsoleLogTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task Item3_with_the_json_formatter_setting_every_console_line_is_a_json_object()
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RunAsReadmeSaysTests.RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GitLabMrBot.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["GITLAB_URL"] = "http://127.0.0.1:9";
        start.Environment["GITLAB_TOKEN"] = "glpat-json-log-test";
        start.Environment["GITLAB_WEBHOOK_SECRET"] = "json-log-test-secret";
        start.Environment["MRBOT_DATABASE"] = _directory.File("mrbot.db");
        start.Environment["Logging__Console__FormatterName"] = "json";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");

        using var bot = Process.Start(start)!;
        var lines = new List<string>();
        bot.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        };
        bot.BeginOutputReadLine();
        try
        {
            string[] Snapshot()
            {
                lock (lines)
                {
                    return [.. lines];
                }
            }
            await Eventually.HoldsAsync(() => Snapshot().Any(l => l.Contains("Now listening on", StringComparison.Ordinal)), "the listening line", TimeSpan.FromSeconds(60));

            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var metrics = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            var text = await metrics.Content.ReadAsStringAsync();
            Assert.Contains("# TYPE mrbot_inbox_depth gauge", text, StringComparison.Ordinal);
            Assert.DoesNotContain("glpat-json-log-test", text, StringComparison.Ordinal);

            var written = Snapshot().Where(l => l.Length > 0).ToList();
            Assert.NotEmpty(written);
            foreach (var line in written)
            {
                using var json = JsonDocument.Parse(line);
                Assert.True(json.RootElement.TryGetProperty("LogLevel", out _), line);
                Assert.True(json.RootElement.TryGetProperty("Category", out _), line);
                Assert.True(json.RootElement.TryGetProperty("Message", out _), line);
            }
        }
        finally
        {
            bot.Kill(entireProcessTree: true);
            await bot.WaitForExitAsync();
        }
    }

    public void Dispose() => _directory.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
