using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using GitLabMrBot.TestGitLab;

// Usage: MemoryBench <path to published GitLabMrBot.dll> <bot.config.json> [merge requests, default 20] [BareEndpoint.dll]
// Starts the test GitLab in this process and the published bot as a child process pointed at it, then prints
// the bot's RSS (VmRSS from /proc) once it is idle after start, and once it has evaluated every merge request.
// With a bare ASP.NET Core endpoint's dll, measures its idle RSS the same way, as the baseline of this run.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: MemoryBench <GitLabMrBot.dll> <bot.config.json> [mrs]");
    return 2;
}
var botDll = Path.GetFullPath(args[0]);
var config = Path.GetFullPath(args[1]);
var mrCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
var bareDll = args.Length > 3 ? Path.GetFullPath(args[3]) : null;

await using var gitLab = new TestGitLabServer();
await gitLab.StartAsync();
var botUser = gitLab.AddUser("mrbot", "MR Bot", bot: true);
var alice = gitLab.AddUser("alice", "Alice");
var group = gitLab.AddGroup("acme");
var project = gitLab.AddProject("acme/app", files: new Dictionary<string, string> { ["README.md"] = "# app\n" });
gitLab.AddMember(project, botUser, AccessLevel.Developer);
gitLab.AddMember(project, alice, AccessLevel.Developer);

var work = Directory.CreateTempSubdirectory("mrbot-memory-");
var port = FreePort();
const string Secret = "memory-bench-secret";
var start = new ProcessStartInfo("dotnet", [botDll, "--urls", $"http://127.0.0.1:{port}"])
{
    WorkingDirectory = work.FullName,
    RedirectStandardOutput = true,
    RedirectStandardError = true,
};
start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
start.Environment["ASPNETCORE_CONTENTROOT"] = Path.GetDirectoryName(botDll);
start.Environment["Logging__LogLevel__Default"] = "Warning";
start.Environment["GITLAB_URL"] = gitLab.BaseUrl.ToString();
start.Environment["GITLAB_TOKEN"] = botUser.Token;
start.Environment["GITLAB_WEBHOOK_SECRET"] = Secret;
start.Environment["MRBOT_DATABASE"] = Path.Combine(work.FullName, "mrbot.db");
start.Environment["MRBOT_CONFIG"] = config;
start.Environment["Rechecks__MaxAttempts"] = "0";

using var bot = Process.Start(start) ?? throw new InvalidOperationException("the bot did not start");
bot.OutputDataReceived += (_, _) => { };
bot.ErrorDataReceived += (_, _) => { };
bot.BeginOutputReadLine();
bot.BeginErrorReadLine();
try
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    var healthz = new Uri($"http://127.0.0.1:{port}/healthz");
    var deadline = Stopwatch.StartNew();
    while (!await HealthyAsync(http, healthz))
    {
        if (bot.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
        {
            Console.Error.WriteLine("the bot did not answer /healthz");
            return 1;
        }
        await Task.Delay(100);
    }
    gitLab.AddHook(group, new Uri($"http://127.0.0.1:{port}/webhooks/gitlab"), Secret);

    // Idle: what a started bot holds before any work (after its start-up work has settled).
    await Task.Delay(TimeSpan.FromSeconds(5));
    var idle = Rss(bot.Id);
    var idleText = idle.Text;

    var mrs = new List<GitLabMergeRequest>();
    for (var i = 0; i < mrCount; i++)
    {
        var files = new Dictionary<string, string?> { [$"web/page{i}.css"] = string.Concat(Enumerable.Repeat("a { color: red; }\n", 20 + i)) };
        mrs.Add(gitLab.OpenMergeRequest(project, alice, $"feat: page {i}", $"feature-{i}", files: files));
    }
    // Done when every MR carries its size label (the bot's last write) and GitLab has sent every hook.
    while (!mrs.All(m => gitLab.GetMergeRequest(m).Labels.Any(l => l.StartsWith("size::", StringComparison.Ordinal))))
    {
        if (bot.HasExited || deadline.Elapsed > TimeSpan.FromMinutes(3))
        {
            Console.Error.WriteLine("the bot did not label every merge request");
            return 1;
        }
        await Task.Delay(100);
    }
    await gitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(60));
    await Task.Delay(TimeSpan.FromSeconds(2));
    var afterRun = Rss(bot.Id);
    await Task.Delay(TimeSpan.FromSeconds(10));
    var settled = Rss(bot.Id);

    Console.WriteLine($"RSS idle after start:            {idleText}");
    Console.WriteLine($"RSS after {mrCount} MRs evaluated:      {afterRun.Text}");
    Console.WriteLine($"RSS 10 s later:                  {settled.Text}");
    Console.WriteLine($"GitLab API requests:             {gitLab.Requests.Count,6}");
    if (bareDll is not null && await BareIdleAsync(bareDll) is { } bare)
    {
        Console.WriteLine($"bare ASP.NET Core endpoint idle: {bare.Text}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio bot idle / bare idle:       {idle.Mb / bare.Mb:F2}"));
    }
    return 0;
}
finally
{
    if (!bot.HasExited)
    {
        bot.Kill(entireProcessTree: true);
        await bot.WaitForExitAsync();
    }
    work.Delete(recursive: true);
}

static async Task<bool> HealthyAsync(HttpClient http, Uri url)
{
    try
    {
        return (await http.GetAsync(url)).IsSuccessStatusCode;
    }
    catch (HttpRequestException)
    {
        return false;
    }
    catch (TaskCanceledException)
    {
        return false;
    }
}

// The bare endpoint started the same way, idle 5 s after it first answered /healthz; null when it did not start.
static async Task<(double Mb, string Text)?> BareIdleAsync(string dll)
{
    var port = FreePort();
    using var bare = Process.Start(new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        Environment = { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["Logging__LogLevel__Default"] = "Warning" },
    });
    if (bare is null)
    {
        return null;
    }
    bare.OutputDataReceived += (_, _) => { };
    bare.ErrorDataReceived += (_, _) => { };
    bare.BeginOutputReadLine();
    bare.BeginErrorReadLine();
    try
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (!await HealthyAsync(http, new Uri($"http://127.0.0.1:{port}/healthz")))
        {
            if (bare.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                return null;
            }
            await Task.Delay(100);
        }
        await Task.Delay(TimeSpan.FromSeconds(5));
        return Rss(bare.Id);
    }
    finally
    {
        bare.Kill(entireProcessTree: true);
        await bare.WaitForExitAsync();
    }
}

// VmRSS of /proc/<pid>/status, and its anonymous (heaps, stacks), file-backed (mapped assemblies) and shared (the
// runtime's double-mapped executable memory: JIT code and stubs) parts.
static (double Mb, string Text) Rss(int pid)
{
    var status = File.ReadAllLines($"/proc/{pid}/status");
    double Mb(string field)
    {
        var line = status.First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
    }
    return (Mb("VmRSS"), string.Create(CultureInfo.InvariantCulture,
        $"{Mb("VmRSS"),6:F1} MB (anonymous {Mb("RssAnon"):F1}, files {Mb("RssFile"):F1}, shared {Mb("RssShmem"):F1})"));
}

static int FreePort()
{
    using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}
