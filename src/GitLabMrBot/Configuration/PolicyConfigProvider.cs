using System.Security.Cryptography;
using GitLabMrBot.Policies;

namespace GitLabMrBot.Configuration;

/// <summary>
/// Holds the policy config in force. Read <see cref="Current"/> at use time (never cache it): the file
/// is watched, and a valid edit is swapped in atomically; an invalid edit is logged with every error
/// and the previous config stays in force (docs/contract.md §5).
/// </summary>
public sealed partial class PolicyConfigProvider : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger<PolicyConfigProvider> _logger;
    private readonly TimeSpan _debounce;
    private readonly TimeSpan _pollInterval;
    private readonly TimeSpan? _regexTimeout;
    private readonly Lock _gate = new();
    private volatile Loaded? _current;
    private IReadOnlyList<ConfigError> _lastErrors = [];
    private long _reloadAttempts;
    private FileSystemWatcher? _watcher;
    private ITimer? _debounceTimer;
    private ITimer? _pollTimer;
    private (DateTime WrittenAt, long Length)? _lastSeen;
    private bool _disposed;

    private sealed record Loaded(CompiledConfig Config, byte[] Hash);

    public PolicyConfigProvider(string path, TimeProvider time, ILogger<PolicyConfigProvider> logger, PolicyConfigProviderOptions? options = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        _time = time;
        _logger = logger;
        options ??= new PolicyConfigProviderOptions();
        _debounce = options.Debounce;
        _pollInterval = options.PollInterval;
        _regexTimeout = options.RegexTimeout;
    }

    /// <summary>The absolute path of the watched file.</summary>
    public string Path { get; }

    /// <summary>True once a valid config is in force (for <c>/readyz</c>).</summary>
    public bool IsLoaded => _current is not null;

    /// <summary>The config in force. Loads it on first use; throws (listing every error) if it is invalid.</summary>
    public CompiledConfig Current => (_current ?? EnsureLoaded()).Config;

    /// <summary>The errors of the last refused load or reload (empty after a good one).</summary>
    public IReadOnlyList<ConfigError> LastErrors => Volatile.Read(ref _lastErrors);

    /// <summary>How many times the file was read again after a change (valid or not).</summary>
    public long ReloadAttempts => Interlocked.Read(ref _reloadAttempts);

    /// <summary>Raised after a new valid config is swapped in.</summary>
    public event EventHandler<CompiledConfig>? Reloaded;

    /// <summary>Loads the file if nothing is loaded yet and starts watching it. Throws with every error if it is invalid.</summary>
    public ConfigLoadResult Start()
    {
        var result = TryLoadInitial();
        if (result.IsValid)
        {
            StartWatching();
        }
        return result;
    }

    private Loaded EnsureLoaded()
    {
        var result = TryLoadInitial();
        return result.IsValid
            ? _current!
            : throw new InvalidOperationException(result.Describe(Path));
    }

    private ConfigLoadResult TryLoadInitial()
    {
        lock (_gate)
        {
            if (_current is { } loaded)
            {
                return new ConfigLoadResult(loaded.Config, []);
            }
            var (result, hash) = Read();
            if (result.IsValid)
            {
                _current = new Loaded(result.Config, hash!);
                Log.Loaded(_logger, Path, result.Config.Policies.Count);
            }
            else
            {
                Volatile.Write(ref _lastErrors, result.Errors);
                Log.Invalid(_logger, Path, result.Errors.Count, result.Describe(Path));
            }
            return result;
        }
    }

    private (ConfigLoadResult Result, byte[]? Hash) Read()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path);
            _lastSeen = Stamp();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (PolicyConfigLoader.LoadFile(Path, _regexTimeout), null);
        }
        return (PolicyConfigLoader.Load(bytes, Path, _regexTimeout), SHA256.HashData(bytes));
    }

    /// <summary>Reads the file again now; used by the watcher and by tests. Returns the result of that read.</summary>
    public ConfigLoadResult Reload()
    {
        ConfigLoadResult result;
        lock (_gate)
        {
            Interlocked.Increment(ref _reloadAttempts);
            (result, var hash) = Read();
            if (!result.IsValid)
            {
                Volatile.Write(ref _lastErrors, result.Errors);
                Log.ReloadRefused(_logger, Path, result.Errors.Count, result.Describe(Path));
                return result;
            }
            Volatile.Write(ref _lastErrors, []);
            if (_current is { } previous && previous.Hash.AsSpan().SequenceEqual(hash))
            {
                return new ConfigLoadResult(previous.Config, []);
            }
            _current = new Loaded(result.Config, hash!);
            Log.Reloaded(_logger, Path, result.Config.Policies.Count);
        }
        Reloaded?.Invoke(this, result.Config);
        return result;
    }

    private void StartWatching()
    {
        lock (_gate)
        {
            if (_disposed || _debounceTimer is not null)
            {
                return;
            }
            _debounceTimer = _time.CreateTimer(_ => ReloadFromTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            try
            {
                var directory = System.IO.Path.GetDirectoryName(Path)!;
                _watcher = new FileSystemWatcher(directory, System.IO.Path.GetFileName(Path))
                {
                    NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
                };
                _watcher.Changed += (_, _) => ScheduleReload();
                _watcher.Created += (_, _) => ScheduleReload();
                _watcher.Renamed += (_, _) => ScheduleReload();
                _watcher.EnableRaisingEvents = true;
            }
            catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
            {
                // e.g. the inotify instance limit: the poll below still notices edits, only later.
                _watcher?.Dispose();
                _watcher = null;
                Log.WatchFailed(_logger, Path, e.Message);
            }
            // Polling as well: watchers miss edits on some mounts (network shares, Kubernetes ConfigMap symlink swaps).
            _pollTimer = _time.CreateTimer(_ => Poll(), null, _pollInterval, _pollInterval);
        }
    }

    private void ScheduleReload()
    {
        // Editors write a file in several steps: wait until the events stop for the debounce period.
        lock (_gate)
        {
            if (!_disposed)
            {
                _debounceTimer?.Change(_debounce, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Poll()
    {
        var stamp = Stamp();
        if (stamp != _lastSeen)
        {
            ScheduleReload();
        }
    }

    private (DateTime, long)? Stamp()
    {
        try
        {
            var info = new FileInfo(Path);
            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void ReloadFromTimer()
    {
        try
        {
            Reload();
        }
        catch (Exception e)
        {
            // A timer callback must never throw: the next edit gets another chance.
            Log.ReloadFailed(_logger, Path, e);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _watcher?.Dispose();
            _debounceTimer?.Dispose();
            _pollTimer?.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(6001, LogLevel.Information, "Loaded policy config {Path}: {PolicyCount} policies")]
        public static partial void Loaded(ILogger logger, string path, int policyCount);

        [LoggerMessage(6002, LogLevel.Error, "Policy config {Path} is invalid (errors: {ErrorCount}):\n{Errors}")]
        public static partial void Invalid(ILogger logger, string path, int errorCount, string errors);

        [LoggerMessage(6003, LogLevel.Information, "Reloaded policy config {Path}: {PolicyCount} policies")]
        public static partial void Reloaded(ILogger logger, string path, int policyCount);

        [LoggerMessage(6004, LogLevel.Error, "Edited policy config {Path} refused, the previous config stays in force (errors: {ErrorCount}):\n{Errors}")]
        public static partial void ReloadRefused(ILogger logger, string path, int errorCount, string errors);

        [LoggerMessage(6005, LogLevel.Warning, "Cannot watch {Path} ({Reason}); edits are noticed by polling only")]
        public static partial void WatchFailed(ILogger logger, string path, string reason);

        [LoggerMessage(6006, LogLevel.Error, "Reloading policy config {Path} failed")]
        public static partial void ReloadFailed(ILogger logger, string path, Exception exception);
    }
}

public sealed record PolicyConfigProviderOptions
{
    /// <summary>Quiet period after the last file event before the file is read again.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Fallback check for edits file watchers miss.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan? RegexTimeout { get; init; }
}
