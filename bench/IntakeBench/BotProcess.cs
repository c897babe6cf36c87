using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace IntakeBench;

/// <summary>The published bot as a child process on a free port, with its /proc figures.</summary>
internal sealed class BotProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _work;

    private BotProcess(Process process, DirectoryInfo work, int port)
    {
        _process = process;
        _work = work;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    public static async Task<BotProcess> StartAsync(string botDll, IReadOnlyDictionary<string, string> environment)
    {
        var work = Directory.CreateTempSubdirectory("mrbot-intake-bench-");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [botDll, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = work.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_CONTENTROOT"] = Path.GetDirectoryName(botDll);
        start.Environment["Logging__LogLevel__Default"] = "Error";
        start.Environment["MRBOT_DATABASE"] = Path.Combine(work.FullName, "mrbot.db");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("the bot did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && (line.Contains("OutOfMemory", StringComparison.Ordinal) || line.Contains("fail:", StringComparison.Ordinal)))
            {
                Console.Error.WriteLine("bot: " + line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var bot = new BotProcess(process, work, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (!await bot.HealthyAsync(http))
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException("the bot did not answer /healthz");
            }
            await Task.Delay(100);
        }
        return bot;
    }

    public async Task<bool> HealthyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync(Url("/healthz"));
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>VmRSS in MB.</summary>
    public double RssMb() => Status("VmRSS");

    /// <summary>VmHWM (the peak RSS since the process started) in MB.</summary>
    public double PeakRssMb() => Status("VmHWM");

    /// <summary>Open file descriptors (sockets included).</summary>
    public int OpenFiles() => Directory.GetFiles($"/proc/{Pid}/fd").Length;

    private double Status(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        return double.NaN;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _work.Delete(recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
