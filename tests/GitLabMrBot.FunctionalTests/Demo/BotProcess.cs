using System.Diagnostics;
using System.Text;
using GitLabMrBot.FunctionalTests.Startup;

namespace GitLabMrBot.FunctionalTests.Demo;

/// <summary>
/// The built bot as a child process (<c>dotnet GitLabMrBot.dll …</c>) from the repository root, as a user runs it, with
/// none of the bot's settings inherited from the test's environment, and every assembly it loads logged to
/// <see cref="LoadedAssembliesLog"/> (<see cref="StartupHook"/>).
/// </summary>
internal sealed class BotProcess : IDisposable
{
    private static readonly string[] Inherited =
    [
        "GITLAB_URL", "GITLAB_TOKEN", "GITLAB_WEBHOOK_SECRET", "GITLAB_WEBHOOK_SIGNING_TOKEN", "MRBOT_CONFIG", "MRBOT_DATABASE",
        "MRBOT_ADMIN_TOKEN", "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT", "ASPNETCORE_URLS",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_BSP_SCHEDULE_DELAY",
    ];

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private BotProcess(Process process, string loadedAssembliesLog)
    {
        _process = process;
        LoadedAssembliesLog = loadedAssembliesLog;
    }

    public string LoadedAssembliesLog { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    public IReadOnlySet<string> LoadedAssemblies => StartupHook.Loaded(LoadedAssembliesLog);

    public static BotProcess Start(string loadedAssembliesLog, IReadOnlyDictionary<string, string> settings, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RunAsReadmeSaysTests.RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GitLabMrBot.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var name in Inherited)
        {
            start.Environment.Remove(name);
        }
        start.Environment["DOTNET_STARTUP_HOOKS"] = typeof(StartupHook).Assembly.Location;
        start.Environment[StartupHook.LogVariable] = loadedAssembliesLog;
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start };
        var bot = new BotProcess(process, loadedAssembliesLog);
        process.OutputDataReceived += (_, e) => Append(bot._output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(bot._error, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return bot;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process has ended by itself within <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the bot did not exit within {timeout.TotalSeconds:0} s; output so far:\n{Output}\n{Error}");
        }
        return _process.ExitCode;
    }

    /// <summary>Ctrl+C, as a person stops it: SIGINT to the process.</summary>
    public async Task InterruptAsync()
    {
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (text)
        {
            text.Append(line).Append('\n');
        }
    }
}
