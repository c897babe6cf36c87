using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using GitLabMrBot.TestGitLab;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CrashBench;

/// <summary>
/// One crash run: the real bot as child processes (<c>dotnet GitLabMrBot.dll</c>) against the test GitLab, a seeded
/// stream of MR title changes, and SIGKILLs of a bot process at seeded moments while it holds claims. On SQLite one
/// instance is killed and restarted; on PostgreSQL three instances share the store (the first receives the hooks), one
/// of the others is killed and the survivors must take over. Reports lost deliveries, duplicate notes, dead letters and
/// the time from each kill until every delivery accepted before it is done and every MR shows its last title's outcome.
/// </summary>
public sealed record CrashSettings(
    string BotDll,
    int Deliveries,
    int MergeRequests,
    int Kills,
    int Seed,
    string WorkDirectory,
    string? Postgres = null,
    IReadOnlyDictionary<string, string>? BotSettings = null,
    Action<string>? Log = null)
{
    public int Instances => Postgres is null ? 1 : 3;

    public string Store => Postgres is null ? "sqlite" : "postgres";
}

/// <summary>What a crash run measured; <see cref="Lost"/>, <see cref="DuplicateNotes"/> and <see cref="DeadLetters"/> must be 0.</summary>
public sealed record CrashResult(
    string Store,
    int Instances,
    int Events,
    int Accepted,
    int Lost,
    int DuplicateNotes,
    int DeadLetters,
    int KillsDuringClaims,
    IReadOnlyList<TimeSpan> Recoveries,
    IReadOnlyList<TimeSpan> Restarts,
    TimeSpan Total)
{
    public string Summary =>
        FormattableString.Invariant($"{Store} ({Instances} instance{(Instances == 1 ? "" : "s")}): {Events} events, {Accepted} accepted MR deliveries, {Recoveries.Count} SIGKILLs ") +
        FormattableString.Invariant($"({KillsDuringClaims} while the killed process held claims); lost deliveries {Lost}, duplicate notes {DuplicateNotes}, dead letters {DeadLetters}; ") +
        $"converged after each kill in {Seconds(Recoveries)} (max {Seconds(Recoveries.Count == 0 ? [] : [Recoveries.Max()])}" +
        (Restarts.Count == 0 ? "" : $"; of which restarting until /healthz answered: {Seconds(Restarts)}") +
        FormattableString.Invariant($"); total {Total.TotalSeconds:0.0} s");

    private static string Seconds(IEnumerable<TimeSpan> times) =>
        string.Join(", ", times.Select(t => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"));
}

public static class CrashRun
{
    private const string Secret = "crash-bench-secret";
    private const string FeatureLabel = "type::feature";

    /// <summary>One policy whose outcome depends on the newest title only, and a size label so every MR gets its summary note.</summary>
    private const string Config = """
        {
          "labels": { "type::feature": "#1f75cb" },
          "policies": [ { "name": "feature", "when": { "title": "^feat:" }, "then": { "addLabels": ["type::feature"] } } ],
          "sizeLabels": { "prefix": "size::", "thresholds": { "XS": 10, "S": 100 }, "largest": "L" },
          "summaryComment": true
        }
        """;

    private static readonly TimeSpan ConvergeLimit = TimeSpan.FromSeconds(Environment.GetEnvironmentVariable("MRBOT_CRASH_CONVERGE_LIMIT_S") is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : 120);

    public static async Task<CrashResult> RunAsync(CrashSettings settings)
    {
        var total = Stopwatch.StartNew();
        var random = new Random(settings.Seed);
        Directory.CreateDirectory(settings.WorkDirectory);
        var configPath = Path.Combine(settings.WorkDirectory, "bot.config.json");
        await File.WriteAllTextAsync(configPath, Config);
        var database = settings.Postgres ?? Path.Combine(settings.WorkDirectory, "mrbot.db");

        await using var gitLab = new TestGitLabServer();
        await gitLab.StartAsync();
        var botUser = gitLab.AddUser("mrbot", "MR Bot", bot: true);
        var alice = gitLab.AddUser("alice", "Alice");
        var group = gitLab.AddGroup("acme");
        var project = gitLab.AddProject("acme/app", files: new Dictionary<string, string> { ["README.md"] = "# app\n" });
        gitLab.AddMember(project, botUser, AccessLevel.Developer);
        gitLab.AddMember(project, alice, AccessLevel.Developer);
        // A little latency on every API call, as a real GitLab has: evaluations take long enough to be caught mid-claim.
        gitLab.InjectFault("*", "/**", Fault.Latency(TimeSpan.FromMilliseconds(25)), times: int.MaxValue);

        var instances = new List<BotInstance>();
        try
        {
            for (var i = 0; i < settings.Instances; i++)
            {
                instances.Add(await BotInstance.StartAsync(settings, gitLab, botUser, configPath, database, FreePort(), receiveOnly: i == 0 && settings.Instances > 1));
            }
            // GitLab sends to the first instance (a load balancer in front of several would do the same job); with several,
            // it only receives (Inbox:Concurrency 0) and the others process, so a kill of one of them hits claims.
            gitLab.AddHook(group, new Uri(instances[0].Address, "webhooks/gitlab"), Secret);

            var mrs = new List<GitLabMergeRequest>();
            var titles = new Dictionary<int, string>();
            string Title(int n) => random.Next(2) == 0 ? $"feat: change {n}" : $"Change {n}";
            for (var i = 0; i < settings.MergeRequests; i++)
            {
                var title = Title(i);
                var mr = gitLab.OpenMergeRequest(project, alice, title, $"change-{i}", files: new Dictionary<string, string?> { [$"docs/{i}.md"] = $"{i}\n" });
                mrs.Add(mr);
                titles[mr.Iid] = title;
            }

            var updates = Math.Max(0, settings.Deliveries - settings.MergeRequests);
            var bursts = settings.Kills + 1;
            var recoveries = new List<TimeSpan>();
            var restarts = new List<TimeSpan>();
            var killsDuringClaims = 0;
            var sent = 0;
            for (var burst = 0; burst < bursts; burst++)
            {
                var inBurst = updates / bursts + (burst < updates % bursts ? 1 : 0);
                for (var i = 0; i < inBurst; i++)
                {
                    var mr = mrs[random.Next(mrs.Count)];
                    var title = Title(settings.MergeRequests + sent++);
                    gitLab.UpdateMergeRequest(alice, mr, new MergeRequestUpdate { Title = title });
                    titles[mr.Iid] = title;
                }
                if (burst == bursts - 1)
                {
                    break;
                }

                if (settings.Instances == 1)
                {
                    // Every hook of the burst delivered (and so accepted and stored) before the kill, since the one instance
                    // also receives them: what the kill may lose is only what the bot had accepted and not yet done. With
                    // several, the receiving instance is never killed, so the kill may come while the burst still arrives.
                    await gitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(60));
                }
                var victim = settings.Instances == 1 ? instances[0] : instances[1 + burst % (settings.Instances - 1)];
                // Late in the backlog, so the time to converge after the kill is the recovery, not the backlog's processing.
                // With several instances the victim holds claims less often, and the survivors drain a backlog in parallel
                // well within the lease: a longer tail.
                var tail = settings.Instances == 1 ? Math.Max(3, settings.MergeRequests / 20) : Math.Max(10, settings.MergeRequests / 2);
                var duringClaims = await HoldsClaimAsync(database, victim.Pid, tail, TimeSpan.FromSeconds(60));
                for (var again = 0; !duringClaims && again < 3; again++)
                {
                    // The backlog was drained before the victim was caught working (the other processing instance took the
                    // tail, or a fast machine finished it first): a few more edits give it another chance.
                    for (var i = 0; i < settings.MergeRequests; i++)
                    {
                        var mr = mrs[random.Next(mrs.Count)];
                        var title = Title(settings.MergeRequests + sent++);
                        gitLab.UpdateMergeRequest(alice, mr, new MergeRequestUpdate { Title = title });
                        titles[mr.Iid] = title;
                    }
                    settings.Log?.Invoke($"pid {victim.Pid} not caught holding claims; {settings.MergeRequests} more edits");
                    duringClaims = await HoldsClaimAsync(database, victim.Pid, tail, TimeSpan.FromSeconds(30));
                }
                if (duringClaims)
                {
                    killsDuringClaims++;
                }
                await Task.Delay(random.Next(20));
                victim.Kill();
                // What was accepted before the kill: recovered once none of it is open any more.
                var lastBeforeKill = await ScalarAsync(database, "SELECT COALESCE(MAX(id), 0) FROM {deliveries}");
                var openAtKill = await ScalarAsync(database, "SELECT COUNT(*) FROM {deliveries} WHERE status IN ('pending', 'processing')");
                var killedAt = Stopwatch.StartNew();
                settings.Log?.Invoke($"killed pid {victim.Pid} after burst {burst + 1} ({(duringClaims ? "holding claims" : "not caught holding claims late in its backlog")}, {openAtKill} deliveries open)");
                if (settings.Instances == 1)
                {
                    instances[0] = await BotInstance.StartAsync(settings, gitLab, botUser, configPath, database, victim.Port);
                    restarts.Add(killedAt.Elapsed);
                }
                await WaitConvergedAsync(gitLab, botUser, mrs, titles);
                await WaitDoneAsync(database, lastBeforeKill);
                recoveries.Add(killedAt.Elapsed);
                settings.Log?.Invoke($"converged {killedAt.Elapsed.TotalSeconds:0.0} s after the kill");
                if (settings.Instances > 1)
                {
                    // The victim comes back for the next round, on its old address.
                    instances[instances.IndexOf(victim)] = await BotInstance.StartAsync(settings, gitLab, botUser, configPath, database, victim.Port);
                }
            }

            await gitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(60));
            await WaitConvergedAsync(gitLab, botUser, mrs, titles);
            await WaitStoreSettledAsync(database);
            foreach (var instance in instances)
            {
                await instance.StopAsync();
            }

            var stored = await StoredAsync(database);
            // The MR deliveries a human caused and the bot answered 2xx: each must be stored and done.
            var accepted = gitLab.Deliveries
                .Where(d => d.Succeeded && d.Event == "Merge Request Hook" && d.Payload["user"]?["username"]?.GetValue<string>() == alice.Username)
                .Select(d => d.EventUuid)
                .Distinct()
                .ToList();
            var lost = accepted.Count(uuid => !stored.TryGetValue(uuid, out var status) || status != "done");
            var duplicates = mrs.Sum(mr => Math.Max(0, BotNotes(gitLab, botUser, mr) - 1));
            var dead = stored.Values.Count(s => s == "dead");
            return new CrashResult(settings.Store, settings.Instances, settings.MergeRequests + sent, accepted.Count, lost, duplicates, dead,
                killsDuringClaims, recoveries, restarts, total.Elapsed);
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    private static int BotNotes(TestGitLabServer gitLab, GitLabUser botUser, GitLabMergeRequest mr) =>
        gitLab.GetNotes(mr).Count(n => n.Author == botUser.Username && !n.System);

    private static bool Converged(TestGitLabServer gitLab, GitLabUser botUser, GitLabMergeRequest mr, string title) =>
        gitLab.GetMergeRequest(mr).Labels.Contains(FeatureLabel) == title.StartsWith("feat:", StringComparison.Ordinal)
        && BotNotes(gitLab, botUser, mr) >= 1;

    private static async Task WaitConvergedAsync(TestGitLabServer gitLab, GitLabUser botUser, List<GitLabMergeRequest> mrs, Dictionary<int, string> titles)
    {
        var waited = Stopwatch.StartNew();
        while (!mrs.All(mr => Converged(gitLab, botUser, mr, titles[mr.Iid])))
        {
            if (waited.Elapsed > ConvergeLimit)
            {
                var behind = mrs.Where(mr => !Converged(gitLab, botUser, mr, titles[mr.Iid]))
                    .Select(mr => $"!{mr.Iid} \"{titles[mr.Iid]}\" labels [{string.Join(",", gitLab.GetMergeRequest(mr).Labels)}] notes {BotNotes(gitLab, botUser, mr)}")
                    .ToList();
                throw new TimeoutException($"{behind.Count} of {mrs.Count} MRs had not converged {ConvergeLimit.TotalSeconds:0} s after the kill: {string.Join("; ", behind)}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// True once a delivery is claimed by a worker of the process <paramref name="pid"/> (owners are host/pid/…) while at
    /// most <paramref name="tail"/> deliveries are still open.
    /// </summary>
    private static async Task<bool> HoldsClaimAsync(string database, int pid, int tail, TimeSpan within)
    {
        var waited = Stopwatch.StartNew();
        var idle = Stopwatch.StartNew();
        while (waited.Elapsed < within)
        {
            var open = await ScalarAsync(database, "SELECT COUNT(*) FROM {deliveries} WHERE status IN ('pending', 'processing')");
            if (open > 0 && open <= tail
                && await ScalarAsync(database, $"SELECT COUNT(*) FROM {{deliveries}} WHERE status = 'processing' AND lease_owner LIKE '%/{pid}/%'") > 0)
            {
                return true;
            }
            if (open > 0)
            {
                idle.Restart();
            }
            else if (idle.Elapsed > TimeSpan.FromSeconds(1))
            {
                // Nothing left to catch it working on.
                return false;
            }
            await Task.Delay(5);
        }
        return false;
    }

    /// <summary>Waits until every delivery up to <paramref name="lastId"/> (those accepted before a kill) is done or dead.</summary>
    private static async Task WaitDoneAsync(string database, long lastId)
    {
        var waited = Stopwatch.StartNew();
        var sql = "SELECT COUNT(*) FROM {deliveries} WHERE status IN ('pending', 'processing') AND id <= " + lastId.ToString(CultureInfo.InvariantCulture);
        while (await ScalarAsync(database, sql) > 0)
        {
            if (waited.Elapsed > ConvergeLimit)
            {
                throw new TimeoutException($"deliveries accepted before the kill were still open {ConvergeLimit.TotalSeconds:0} s after it");
            }
            await Task.Delay(10);
        }
    }

    /// <summary>Waits until nothing is pending or in flight (the bot's own follow-up events included).</summary>
    private static async Task WaitStoreSettledAsync(string database)
    {
        var waited = Stopwatch.StartNew();
        while (await ScalarAsync(database, "SELECT COUNT(*) FROM {deliveries} WHERE status IN ('pending', 'processing') AND next_attempt_at <= " +
            DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)) > 0)
        {
            if (waited.Elapsed > ConvergeLimit)
            {
                throw new TimeoutException("deliveries were still open two minutes after the last event");
            }
            await Task.Delay(50);
        }
    }

    private static async Task<long> ScalarAsync(string database, string sql)
    {
        if (IsPostgres(database))
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql.Replace("{deliveries}", "mrbot_deliveries", StringComparison.Ordinal), connection);
            return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }
        if (!File.Exists(database))
        {
            return 0;
        }
        await using var sqlite = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await sqlite.OpenAsync();
        await using var query = sqlite.CreateCommand();
        query.CommandText = sql.Replace("{deliveries}", "deliveries", StringComparison.Ordinal);
        try
        {
            return Convert.ToInt64(await query.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }
        catch (SqliteException)
        {
            // The schema is not created yet (the bot is still starting).
            return 0;
        }
    }

    /// <summary>Every stored delivery's event UUID and status.</summary>
    private static async Task<Dictionary<string, string>> StoredAsync(string database)
    {
        var stored = new Dictionary<string, string>();
        if (IsPostgres(database))
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT event_uuid, status FROM mrbot_deliveries WHERE event_uuid IS NOT NULL", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored[reader.GetString(0)] = reader.GetString(1);
            }
            return stored;
        }
        await using var sqlite = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await sqlite.OpenAsync();
        await using var query = sqlite.CreateCommand();
        query.CommandText = "SELECT event_uuid, status FROM deliveries WHERE event_uuid IS NOT NULL";
        await using var rows = await query.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            stored[rows.GetString(0)] = rows.GetString(1);
        }
        return stored;
    }

    private static bool IsPostgres(string database) => database.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One bot process; <see cref="Kill"/> is a SIGKILL (no shutdown code runs).</summary>
    private sealed class BotInstance : IDisposable
    {
        private readonly Process _process;

        private BotInstance(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public int Pid => _process.Id;

        public Uri Address => new($"http://127.0.0.1:{Port}/");

        public static async Task<BotInstance> StartAsync(
            CrashSettings settings, TestGitLabServer gitLab, GitLabUser botUser, string config, string database, int port, bool receiveOnly = false)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = settings.WorkDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(settings.BotDll);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add($"http://127.0.0.1:{port}");
            foreach (var name in new[] { "GITLAB_WEBHOOK_SIGNING_TOKEN", "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT", "ASPNETCORE_URLS" })
            {
                start.Environment.Remove(name);
            }
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["ASPNETCORE_CONTENTROOT"] = Path.GetDirectoryName(settings.BotDll);
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["GITLAB_URL"] = gitLab.BaseUrl.ToString();
            start.Environment["GITLAB_TOKEN"] = botUser.Token;
            start.Environment["GITLAB_WEBHOOK_SECRET"] = Secret;
            start.Environment["MRBOT_DATABASE"] = database;
            start.Environment["MRBOT_CONFIG"] = config;
            foreach (var (key, value) in settings.BotSettings ?? new Dictionary<string, string>())
            {
                start.Environment[key] = value;
            }
            if (receiveOnly)
            {
                start.Environment["Inbox__Concurrency"] = "0";
            }
            var process = Process.Start(start) ?? throw new InvalidOperationException("the bot did not start");
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    settings.Log?.Invoke($"[bot {process.Id}] {line}");
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    settings.Log?.Invoke($"[bot {process.Id}] {line}");
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var bot = new BotInstance(process, port);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var waited = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(bot.Address, "healthz"));
                    if (response.IsSuccessStatusCode)
                    {
                        return bot;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }
                if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(60))
                {
                    bot.Dispose();
                    throw new InvalidOperationException($"the bot on port {port} did not answer /healthz within 60 s");
                }
                await Task.Delay(50);
            }
        }

        /// <summary>SIGKILL: the process ends at once, leases and all.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }

        /// <summary>A graceful stop (SIGTERM), as a deploy would do; a SIGKILL if it does not end in time.</summary>
        public async Task StopAsync()
        {
            if (_process.HasExited)
            {
                return;
            }
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term!.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Kill();
            }
            _process.Dispose();
        }
    }
}
