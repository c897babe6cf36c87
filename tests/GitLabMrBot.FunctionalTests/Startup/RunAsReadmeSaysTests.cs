using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using GitLabMrBot.FunctionalTests.Inbox;
using Microsoft.Extensions.Configuration.UserSecrets;

namespace GitLabMrBot.FunctionalTests.Startup;

/// <summary>
/// The README's run command, as a process: the built bot started from the repository root with the three
/// required settings serves /healthz (a setting may come from user secrets in Development); with none of them it
/// names every one and exits non-zero.
/// </summary>
public sealed class RunAsReadmeSaysTests : IDisposable
{
    private static readonly string[] Required = ["GITLAB_URL", "GITLAB_TOKEN", "GITLAB_WEBHOOK_SECRET"];
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task With_the_three_settings_exported_the_server_starts_and_answers_healthz()
    {
        var port = FreePort();
        using var bot = Start(port, new Dictionary<string, string>
        {
            // A closed loopback port: a start-up sweep that called GitLab would fail fast and never leave the machine.
            ["GITLAB_URL"] = "http://127.0.0.1:9",
            ["GITLAB_TOKEN"] = "glpat-process-test",
            ["GITLAB_WEBHOOK_SECRET"] = "process-test-secret",
            ["MRBOT_DATABASE"] = _directory.File("mrbot.db"),
        });

        Assert.Equal(HttpStatusCode.OK, await HealthzAsync(bot, port));
    }

    [Fact]
    public async Task In_Development_a_setting_given_only_through_user_secrets_counts()
    {
        // Where `dotnet user-secrets set GITLAB_TOKEN …` writes, with APPDATA pointing into the test's folder.
        var appData = _directory.File("appdata");
        var userSecretsId = typeof(BotApplication).Assembly.GetCustomAttribute<UserSecretsIdAttribute>()!.UserSecretsId;
        var secrets = Path.Combine(appData, "Microsoft", "UserSecrets", userSecretsId, "secrets.json");
        Directory.CreateDirectory(Path.GetDirectoryName(secrets)!);
        await File.WriteAllTextAsync(secrets, """{ "GITLAB_TOKEN": "glpat-from-user-secrets" }""");
        Dictionary<string, string> Settings(string environment) => new()
        {
            ["GITLAB_URL"] = "http://127.0.0.1:9",
            ["GITLAB_WEBHOOK_SECRET"] = "process-test-secret",
            ["MRBOT_DATABASE"] = _directory.File("mrbot.db"),
            ["APPDATA"] = appData,
            ["DOTNET_ENVIRONMENT"] = environment,
            ["ASPNETCORE_ENVIRONMENT"] = environment,
        };

        // Outside Development the host reads no user secrets: the token is missing, so it cannot come from elsewhere.
        using (var production = Start(FreePort(), Settings("Production")))
        {
            var stderr = production.StandardError.ReadToEndAsync();
            await production.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(2, production.ExitCode);
            Assert.Contains("GITLAB_TOKEN is not set", await stderr, StringComparison.Ordinal);
        }
        var port = FreePort();
        using var development = Start(port, Settings("Development"));

        Assert.Equal(HttpStatusCode.OK, await HealthzAsync(development, port));
    }

    [Fact]
    public async Task With_no_settings_it_names_every_missing_one_and_exits_non_zero()
    {
        // The root bot.config.json's gitlab.url is the documentation's example host: it does not count as set.
        await AssertMissingAsync(RepositoryRoot(), Required, notMentioned: null);
    }

    [Fact]
    public async Task Without_a_config_file_giving_the_url_all_three_settings_are_named()
    {
        await AssertMissingAsync(_directory.Path, Required, notMentioned: null);
    }

    private static async Task AssertMissingAsync(string workingDirectory, string[] missing, string? notMentioned)
    {
        using var bot = Start(FreePort(), new Dictionary<string, string>(), workingDirectory);
        var stderr = bot.StandardError.ReadToEndAsync();
        var stdout = bot.StandardOutput.ReadToEndAsync();

        await bot.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, bot.ExitCode);
        var message = await stderr + await stdout;
        foreach (var name in missing)
        {
            Assert.Contains($"{name} is not set", message);
        }
        Assert.Contains("export", message);
        Assert.DoesNotContain("Unhandled exception", message);
        if (notMentioned is not null)
        {
            Assert.DoesNotContain(notMentioned, message);
        }
        Assert.Contains("export", message);
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>The status of the bot's first answer to /healthz; the bot is killed afterwards.</summary>
    private static async Task<HttpStatusCode?> HealthzAsync(Process bot, int port)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            HttpStatusCode? status = null;
            await Eventually.HoldsAsync(async () =>
            {
                Assert.False(bot.HasExited, $"the bot exited with {(bot.HasExited ? bot.ExitCode : 0)}: {(bot.HasExited ? await bot.StandardError.ReadToEndAsync() : "")}");
                try
                {
                    using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"));
                    status = response.StatusCode;
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the bot to answer /healthz", TimeSpan.FromSeconds(60));
            return status;
        }
        finally
        {
            bot.Kill(entireProcessTree: true);
            await bot.WaitForExitAsync();
        }
    }

    private static Process Start(int port, Dictionary<string, string> settings, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GitLabMrBot.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var name in Required.Concat(["GITLAB_WEBHOOK_SIGNING_TOKEN", "MRBOT_CONFIG", "MRBOT_DATABASE", "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT"]))
        {
            start.Environment.Remove(name);
        }
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }
        return Process.Start(start)!;
    }

    // The README runs the bot from the repository root, where bot.config.json is.
    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GitLabMrBot.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("GitLabMrBot.sln not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
