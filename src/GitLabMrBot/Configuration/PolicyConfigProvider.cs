using System.Security.Cryptography;
using GitLabMrBot.Observability;
using GitLabMrBot.Policies;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;

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
    private readonly bool _useFileSystemWatcher;
    private readonly TimeSpan? _regexTimeout;
    private readonly EvaluationLimits _limits;
    private readonly Lock _gate = new();
    private volatile Loaded? _current;
    private IReadOnlyList<ConfigError> _lastErrors = [];
    private long _reloadAttempts;
    private long _reloadsAccepted;
    private long _reloadsRefused;
    private PhysicalFileProvider? _watcher;
    private PhysicalFileProvider? _poller;
    private IDisposable? _subscription;
    private ITimer? _debounceTimer;
    private bool _disposed;

    private sealed record Loaded(CompiledConfig Config, byte[] Hash)
    {
        public DateTimeOffset At { get; init; }
    }

    public PolicyConfigProvider(string path, TimeProvider time, ILogger<PolicyConfigProvider> logger, PolicyConfigProviderOptions? options = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        _time = time;
        _logger = logger;
        options ??= new PolicyConfigProviderOptions();
        _debounce = options.Debounce;
        _useFileSystemWatcher = options.UseFileSystemWatcher;
        _regexTimeout = options.RegexTimeout;
        // The budgets run on the host's clock, so tests can drive them.
        _limits = new EvaluationLimits(
            options.EvaluationBudget ?? PolicyConfigLoader.DefaultEvaluationBudget, options.PolicyBudget ?? PolicyConfigLoader.DefaultPolicyBudget, time);
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

    /// <summary>Which config is in force, for operators: a short hash of the file's bytes and when it was loaded; null before the first load.</summary>
    public ConfigVersion? Version => _current is { } loaded
        ? new ConfigVersion(Convert.ToHexStringLower(loaded.Hash.AsSpan(0, 6)), loaded.At, Interlocked.Read(ref _reloadsAccepted), Interlocked.Read(ref _reloadsRefused))
        : null;

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
                _current = new Loaded(result.Config, hash!) { At = _time.GetUtcNow() };
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
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (PolicyConfigLoader.LoadFile(Path, _regexTimeout, _limits), null);
        }
        return (PolicyConfigLoader.Load(bytes, Path, _regexTimeout, _limits), SHA256.HashData(bytes));
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
                Interlocked.Increment(ref _reloadsRefused);
                BotTelemetry.ConfigReloads.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
                return result;
            }
            Volatile.Write(ref _lastErrors, []);
            if (_current is { } previous && previous.Hash.AsSpan().SequenceEqual(hash))
            {
                return new ConfigLoadResult(previous.Config, []);
            }
            _current = new Loaded(result.Config, hash!) { At = _time.GetUtcNow() };
            Interlocked.Increment(ref _reloadsAccepted);
            Log.Reloaded(_logger, Path, result.Config.Policies.Count);
            BotTelemetry.ConfigReloads.Add(1, new KeyValuePair<string, object?>("outcome", "accepted"));
        }
        Reloaded?.Invoke(this, result.Config);
        return result;
    }

    private void StartWatching()
    {
        lock (_gate)
        {
            if (_disposed || _subscription is not null)
            {
                return;
            }
            var directory = System.IO.Path.GetDirectoryName(Path)!;
            _debounceTimer = _time.CreateTimer(_ => ReloadFromTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            try
            {
                // Both (DOTNET_USE_POLLING_FILE_WATCHER picks one): the watcher reloads at once, polling every 4 s catches what it misses (network shares, bind mounts, ConfigMap symlink swaps).
                _poller = new PhysicalFileProvider(directory, ExclusionFilters.None) { UsePollingFileWatcher = true, UseActivePolling = true };
                _watcher = _useFileSystemWatcher ? new PhysicalFileProvider(directory, ExclusionFilters.None) { UsePollingFileWatcher = false } : null;
            }
            catch (IOException e)
            {
                // The directory went away since the file was read: nothing left to watch.
                Log.CannotWatch(_logger, Path, e.Message);
                return;
            }
            _subscription = ChangeToken.OnChange(Watch, ScheduleReload);
        }
    }

    private IChangeToken Watch()
    {
        var name = System.IO.Path.GetFileName(Path);
        var polled = _poller!.Watch(name);
        if (Volatile.Read(ref _watcher) is { } watcher)
        {
            try
            {
                return new CompositeChangeToken([watcher.Watch(name), polled]);
            }
            catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // e.g. the inotify instance limit: polling still notices edits, only later.
                Interlocked.Exchange(ref _watcher, null)?.Dispose();
                Log.WatchFailed(_logger, Path, e.Message);
            }
        }
        return polled;
    }

    private void ScheduleReload()
    {
        // Editors write a file in several steps: wait until the changes stop for the debounce period.
        lock (_gate)
        {
            if (!_disposed)
            {
                _debounceTimer?.Change(_debounce, Timeout.InfiniteTimeSpan);
            }
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
            BotTelemetry.ConfigReloads.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        // Outside the lock: disposing the subscription waits for a running change callback, which takes the lock.
        _subscription?.Dispose();
        Interlocked.Exchange(ref _watcher, null)?.Dispose();
        _poller?.Dispose();
        _debounceTimer?.Dispose();
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

        [LoggerMessage(7, LogLevel.Error, "Cannot watch {Path} ({Reason}); edits take effect only after a restart")]
        public static partial void CannotWatch(ILogger logger, string path, string reason);
    }
}

/// <param name="Hash">The first 12 hex digits of the SHA-256 of the file in force (<c>sha256sum bot.config.json</c> starts with them).</param>
/// <param name="LoadedAt">When that file was loaded.</param>
/// <param name="ReloadsAccepted">Edits taken since the start.</param>
/// <param name="ReloadsRefused">Edits refused since the start (the previous config stayed).</param>
public sealed record ConfigVersion(string Hash, DateTimeOffset LoadedAt, long ReloadsAccepted, long ReloadsRefused);

public sealed record PolicyConfigProviderOptions
{
    /// <summary>Quiet period after the last file event before the file is read again.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>False leaves edits to polling alone (tests of the fallback).</summary>
    internal bool UseFileSystemWatcher { get; init; } = true;

    public TimeSpan? RegexTimeout { get; init; }

    /// <summary>All regular expressions of one evaluation together (<c>MRBOT_EVALUATION_BUDGET_MS</c>).</summary>
    public TimeSpan? EvaluationBudget { get; init; }

    /// <summary>The regular expressions of one policy in one evaluation (<c>MRBOT_POLICY_BUDGET_MS</c>).</summary>
    public TimeSpan? PolicyBudget { get; init; }
}
