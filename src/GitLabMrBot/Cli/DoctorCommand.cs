using System.CommandLine;
using GitLabMrBot.Configuration;
using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Sqlite;

namespace GitLabMrBot.Cli;

/// <summary>
/// <c>doctor [--group PATH] [--url PUBLIC_URL]</c> (docs/contract.md §6): one line per check, ✓ or ✗, and for each ✗
/// how to fix it: settings, GitLab reachable, the token (valid, api scope, whose), the config, the store, and the
/// webhook(s) for this bot's URL (present, right events, not disabled by GitLab). Exit 1 when any check fails.
/// The group and URL may also come from MRBOT_GROUP and MRBOT_PUBLIC_URL. Never prints the token.
/// </summary>
public static class DoctorCommand
{
    private const string Description = $"""
        Check the whole setup, one line per check with how to fix each failure: the settings, GitLab reachable, the
        token (valid, api scope, whose), the config, the store, and the webhook(s) for this bot's URL (present, right
        events, not disabled by GitLab). Exits 1 when any check fails. The group and URL may also come from
        {CliGitLab.GroupKey} and {CliGitLab.PublicUrlKey}. Never prints the token.

        Example:
          {CommandLine.ProgramName} doctor --group acme/platform --url https://mrbot.example.com
        """;

    /// <summary>Project names listed in one line before "and N more".</summary>
    private const int ListedProjects = 5;

    /// <summary>Where the webhook check looks, when given on the command line (else MRBOT_GROUP, MRBOT_PUBLIC_URL).</summary>
    public sealed record Request(string? Group = null, string? PublicUrl = null, string? Project = null);

    internal static Command Create(CliContext context)
    {
        var group = CliGitLab.GroupOption(required: false);
        var url = CliGitLab.PublicUrlOption(required: false);
        var project = new Option<string>("--project")
        {
            Description = "Also check this project's own policy file (.gitlab/mrbot.json or .mrbot.json on its default branch)",
            HelpName = "GROUP/PROJECT",
        };
        var command = new Command("doctor", Description) { group, url, SettingOption.Config(), SettingOption.Database(), project };
        command.SetAction((result, cancellationToken) => RunAsync(
            new Request(result.GetValue(group), result.GetValue(url), result.GetValue(project)),
            result.InvocationConfiguration.Output,
            context.Settings(result),
            cancellationToken: cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(
        Request request,
        TextWriter output,
        IConfiguration configuration,
        IConfigCheck? configCheck = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        var time = timeProvider ?? TimeProvider.System;
        var report = new Report(output);

        CheckSettings(configuration, report);
        var cliSettingsLoaded = CliGitLab.TryLoadSettings(configuration, out var settings, out _);
        if (cliSettingsLoaded)
        {
            await using var services = CliGitLab.CreateServices(settings, configuration, time);
            if (!CliGitLab.TryGetClient(services, "doctor", output, out var gitlab))
            {
                return CliExit.Usage;
            }
            var reachable = await CheckGitLabAsync(gitlab, settings, configuration, report, cancellationToken);
            var tokenWorks = reachable && await CheckTokenAsync(gitlab, report, cancellationToken);
            if (!reachable)
            {
                report.Fail("token", "not checked: GitLab did not answer", "fix the gitlab check above, then run doctor again");
            }
            CheckConfig(settings.ConfigPath, configCheck ?? new PolicyConfigCheck(), report);
            if (request.Project is { } projectPath)
            {
                await ProjectFileCheck.RunAsync(services, projectPath, settings.ConfigPath, tokenWorks, report.Pass, report.Fail, cancellationToken);
            }
            await CheckStoreAsync(settings.Database, time, report, cancellationToken);
            if (tokenWorks)
            {
                await CheckWebhooksAsync(gitlab, request, configuration, time, report, cancellationToken);
            }
            else
            {
                report.Fail("webhook", "not checked: GitLab must answer and accept the token first", "fix the checks above, then run doctor again");
            }
        }
        else
        {
            report.Fail("gitlab", "not checked: GITLAB_URL and GITLAB_TOKEN are needed", "set the settings above, then run doctor again");
            var configPath = configuration[BotSettings.ConfigPathKey] is { Length: > 0 } c ? c : "bot.config.json";
            CheckConfig(configPath, configCheck ?? new PolicyConfigCheck(), report);
            await CheckStoreAsync(configuration[BotSettings.DatabaseKey] is { Length: > 0 } d ? d : "mrbot.db", time, report, cancellationToken);
        }

        output.WriteLine(report.Failures == 0 ? "All checks passed." : $"{report.Failures} check{(report.Failures == 1 ? "" : "s")} failed.");
        return report.Failures == 0 ? CliExit.Ok : CliExit.Failed;
    }

    // ---- checks ------------------------------------------------------------------------------

    private static void CheckSettings(IConfiguration configuration, Report report)
    {
        if (BotSettings.TryLoad(configuration, out _, out var problems))
        {
            report.Pass("settings", $"{BotSettings.GitLabUrlKey}, {BotSettings.GitLabTokenKey} and {BotSettings.WebhookSecretKey} are set");
            return;
        }
        foreach (var problem in problems)
        {
            // Each problem reads "what: how to fix it".
            var split = problem.IndexOf(": ", StringComparison.Ordinal);
            report.Fail("settings", split > 0 ? problem[..split] : problem, split > 0 ? problem[(split + 2)..] : "see the Settings section of the README");
        }
    }

    private static async Task<bool> CheckGitLabAsync(IHookAdmin gitlab, BotSettings settings, IConfiguration configuration, Report report, CancellationToken cancellationToken)
    {
        try
        {
            var version = await gitlab.GetVersionAsync(cancellationToken);
            report.Pass("gitlab", $"{settings.GitLabUrl} answers: GitLab {version.Version}{(version.Enterprise == true ? " (Enterprise Edition)" : "")}");
            return true;
        }
        catch (GitLabApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            // /version needs a valid token: GitLab answered, the token check says what is wrong with it.
            report.Pass("gitlab", $"{settings.GitLabUrl} answers (its version is shown once the token is accepted)");
            return true;
        }
        catch (GitLabApiException e) when (e.StatusCode is not null)
        {
            report.Fail("gitlab", $"{settings.GitLabUrl} answered {(int)e.StatusCode} to GET /api/v4/version", $"set {BotSettings.GitLabUrlKey} to GitLab's base URL, e.g. https://gitlab.example.com (without /api/v4)");
            return false;
        }
        catch (GitLabApiException e) when (GitLabCertificateTrust.IsCertificateFailure(e))
        {
            // The TLS handshake failed: GitLab is there, but its certificate was refused (internal CA, wrong name, expired).
            var bundle = configuration[CliGitLab.CaBundleKey];
            report.Fail(
                "gitlab",
                $"{settings.GitLabUrl} answered, but its HTTPS certificate was refused ({CertificateReason(e)})",
                string.IsNullOrWhiteSpace(bundle)
                    ? $"if GitLab's certificate comes from an internal CA, save that CA's certificate(s) as a PEM file and set {CliGitLab.CaBundleEnvironmentVariable}=/path/to/ca.pem ({CliGitLab.CaBundleKey}); if it is the wrong host or an expired certificate, fix {BotSettings.GitLabUrlKey} or the certificate"
                    : $"{CliGitLab.CaBundleKey} ({bundle}) does not vouch for it: put in it the certificate of the CA that issued GitLab's certificate (e.g. `openssl s_client -connect {settings.GitLabUrl.Authority} -showcerts`), and check that {BotSettings.GitLabUrlKey} names the host the certificate is for");
            return false;
        }
        catch (GitLabApiException e) when (CliGitLab.Unreachable(e, settings.GitLabUrl) is { } reason)
        {
            report.Fail("gitlab", $"cannot reach GitLab at {settings.GitLabUrl}: {reason}; it did not answer GET /api/v4/version", CliGitLab.UnreachableFix);
            return false;
        }
        catch (GitLabApiException e)
        {
            report.Fail("gitlab", $"{settings.GitLabUrl} did not answer ({e.InnerException?.Message ?? e.Message})", $"check {BotSettings.GitLabUrlKey}, and DNS, proxy and firewall between this machine and GitLab");
            return false;
        }
    }

    /// <summary>The TLS library's own words, e.g. "… errors in the certificate chain: UntrustedRoot".</summary>
    private static string CertificateReason(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return inner.Message;
            }
        }
        return e.Message;
    }

    private static async Task<bool> CheckTokenAsync(IHookAdmin gitlab, Report report, CancellationToken cancellationToken)
    {
        const string newToken = "create a personal access token for the bot user with the api scope (User settings → Access tokens) and export GITLAB_TOKEN=<token>";
        GitLabUser user;
        try
        {
            user = await gitlab.GetCurrentUserAsync(cancellationToken);
        }
        catch (GitLabApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            // GitLab takes an OAuth token only as Authorization: Bearer (docs/gitlab-behaviour.md §3).
            report.Fail("token", $"GitLab refused GITLAB_TOKEN (401): it is wrong, expired or revoked, or its user is blocked; an OAuth token needs {CliGitLab.TokenTypeKey}=bearer", newToken);
            return false;
        }
        catch (GitLabApiException e)
        {
            report.Fail("token", $"GET /api/v4/user failed: {e.Message}", newToken);
            return false;
        }

        var who = $"user @{user.Username}{(user.Bot == true ? " (bot)" : "")}";
        try
        {
            var token = await gitlab.GetTokenInfoAsync(cancellationToken);
            var scopes = token.Scopes.Count == 0 ? "none" : string.Join(", ", token.Scopes);
            var expires = token.ExpiresAt is { Length: > 0 } e ? $", expires {e}" : "";
            if (!token.Scopes.Contains("api", StringComparer.Ordinal))
            {
                report.Fail("token", $"valid for {who}, but its scopes ({scopes}) lack api: the bot cannot label, assign or comment", newToken);
                return true;
            }
            report.Pass("token", $"valid for {who}, scopes {scopes}{expires}");
        }
        catch (GitLabApiException e)
        {
            // GitLab before 15.5, or a token that is not a personal/project/group access token: scopes unknown.
            report.Pass("token", $"valid for {who} (its scopes could not be read: {e.Message}; it needs the api scope)");
        }
        return true;
    }

    private static void CheckConfig(string path, IConfigCheck check, Report report)
    {
        if (!File.Exists(path))
        {
            report.Fail("config", $"{path} not found", $"create it (see the README) or point {BotSettings.ConfigPathKey} (or --config) at it");
            return;
        }
        var errors = check.Check(path);
        if (errors.Count == 0)
        {
            report.Pass("config", $"{path} is valid");
            return;
        }
        report.Fail("config", $"{path} is invalid: {string.Join("; ", errors)}", $"correct the file; `GitLabMrBot validate --config {path}` lists every error with its line");
    }

    private static async Task CheckStoreAsync(string database, TimeProvider time, Report report, CancellationToken cancellationToken)
    {
        if (BotSettings.IsPostgres(database))
        {
            report.Fail("store", "a PostgreSQL connection string, which this build cannot use", $"set {BotSettings.DatabaseKey} to a SQLite file path (default mrbot.db)");
            return;
        }
        var path = Path.GetFullPath(database);
        if (!File.Exists(path))
        {
            // Doctor changes nothing: an absent file is fine when serve can create it.
            var directory = Path.GetDirectoryName(path);
            if (directory is not null && Directory.Exists(directory))
            {
                report.Pass("store", $"SQLite {path} does not exist yet; serve creates it");
            }
            else
            {
                report.Fail("store", $"the folder of SQLite {path} does not exist", $"create the folder, or set {BotSettings.DatabaseKey} to a path in an existing one");
            }
            return;
        }
        try
        {
            await using var store = new SqliteInboxStore(path, time);
            if (await store.PingAsync(cancellationToken))
            {
                report.Pass("store", $"SQLite {path} answers");
                return;
            }
            report.Fail("store", $"SQLite {path} does not answer", "check that the file is a database the bot wrote and that it is readable and writable by the bot");
        }
        catch (InboxUnavailableException e)
        {
            report.Fail("store", e.Message, "check that the file is a database the bot wrote and that it is readable and writable by the bot");
        }
    }

    private static async Task CheckWebhooksAsync(IHookAdmin gitlab, Request request, IConfiguration configuration, TimeProvider time, Report report, CancellationToken cancellationToken)
    {
        var groupPath = request.Group ?? Blank(configuration[CliGitLab.GroupKey]);
        var publicUrl = request.PublicUrl ?? Blank(configuration[CliGitLab.PublicUrlKey]);
        if (publicUrl is null || groupPath is null)
        {
            report.Fail("webhook", $"not checked: the bot's {(publicUrl is null ? "public URL" : "group")} is unknown", $"pass {(publicUrl is null ? $"--url https://mrbot.example.com or set {CliGitLab.PublicUrlKey}" : $"--group PATH or set {CliGitLab.GroupKey}")}");
            return;
        }
        if (!BotWebhook.TryParseHookUrl(publicUrl, out var hookUrl, out var error))
        {
            report.Fail("webhook", error, $"pass the bot's public base URL as --url (or {CliGitLab.PublicUrlKey})");
            return;
        }
        var install = $"run `GitLabMrBot install --group {groupPath} --url {publicUrl}`";

        HookDiscovery found;
        try
        {
            var group = await gitlab.FindGroupAsync(groupPath, cancellationToken);
            if (group is null)
            {
                report.Fail("webhook", $"group {groupPath} was not found, or the bot user cannot see it", "pass the group's full path and make the bot user a member of it");
                return;
            }
            found = await HookDiscovery.DiscoverAsync(gitlab, group, cancellationToken);
        }
        catch (GitLabApiException e)
        {
            report.Fail("webhook", $"could not read the webhooks: {CliGitLab.Describe(e)}", "fix the access above, then run doctor again");
            return;
        }

        var now = time.GetUtcNow();
        var missing = new List<HookOwner>();
        var unreadable = new List<HookTarget>();
        var wrong = new List<(HookOwner Owner, GitLabHook Hook, string What)>();
        var misspelled = new List<(HookOwner Owner, GitLabHook Hook)>();
        var disabled = new List<(HookOwner Owner, GitLabHook Hook, string Why)>();
        foreach (var target in found.Targets)
        {
            if (target.Error is not null)
            {
                unreadable.Add(target);
                continue;
            }
            var mine = target.Hooks.Where(h => BotWebhook.Matches(h, hookUrl)).ToList();
            // Without one, the bot's hook under another spelling of its URL: it works, but only install with the token can fix it.
            var spelled = mine.Count == 0 ? target.Hooks.Where(h => BotWebhook.IsSpelledDifferently(h, hookUrl)).ToList() : [];
            if (mine.Count == 0 && spelled.Count == 0)
            {
                missing.Add(target.Owner);
            }
            misspelled.AddRange(spelled.Select(h => (target.Owner, h)));
            foreach (var hook in mine)
            {
                if (BotWebhook.Differences(hook) is { Count: > 0 } differences)
                {
                    wrong.Add((target.Owner, hook, string.Join(", ", differences)));
                }
            }
            foreach (var hook in mine.Concat(spelled))
            {
                if (BotWebhook.DisabledReason(hook, now) is { } why)
                {
                    disabled.Add((target.Owner, hook, why));
                }
            }
        }

        var where = found.OnGroup ? $"group {found.Group.FullPath}" : $"the {found.Targets.Count} projects of {found.Group.FullPath} (no group webhooks: {found.UnavailableReason})";
        if (!found.OnGroup && found.Targets.Count == 0)
        {
            report.Fail("webhook", $"{found.Group.FullPath} has no projects and no group webhooks ({found.UnavailableReason})", "add projects to the group and run install, or use GitLab Premium for a group webhook");
            return;
        }
        if (missing.Count > 0)
        {
            var what = found.OnGroup
                ? $"group {found.Group.FullPath} has no webhook for {hookUrl}"
                : $"{missing.Count} of {found.Targets.Count} projects have no webhook for {hookUrl}: {List(missing.Select(o => o.Path))}";
            report.Fail("webhook", what, install);
        }
        if (unreadable.Count > 0)
        {
            report.Fail("webhook", $"the webhooks of {unreadable.Count} projects could not be read ({unreadable[0].Error!.Message}): {List(unreadable.Select(t => t.Owner.Path))}", "reading webhooks needs the Owner role on the group (Maintainer on each project on GitLab Free), which the bot itself does not need (Developer is enough): run doctor with GITLAB_TOKEN of such a user to check the webhooks");
        }
        foreach (var (owner, hook, what) in wrong)
        {
            report.Fail("webhook", $"webhook {hook.Id} on {owner}: {what}", $"{install}: it updates the webhook");
        }
        foreach (var (owner, hook) in misspelled)
        {
            var also = BotWebhook.Differences(hook) is { Count: > 0 } differences ? $", and {string.Join(", ", differences)}" : "";
            report.Fail(
                "webhook",
                $"webhook {hook.Id} on {owner} points at {hook.Url}, not exactly {hookUrl}{also}",
                $"{install[..^1]} --secret \"$GITLAB_WEBHOOK_SECRET\"`: it moves the webhook to the exact URL, and GitLab keeps its token only when the token is sent with the new URL");
        }
        foreach (var (owner, hook, why) in disabled)
        {
            report.Fail(
                "webhook",
                $"webhook {hook.Id} on {owner} is {why}",
                $"make sure {hookUrl} reaches the bot (GET {hookUrl[..^BotWebhook.Path.Length]}/healthz answers 200), then send a test event: Settings → Webhooks → Test, or POST /api/v4{owner.HooksPath}/{hook.Id}/test/merge_requests_events; a 2xx answer re-enables it");
        }
        if (missing.Count == 0 && unreadable.Count == 0 && wrong.Count == 0 && misspelled.Count == 0 && disabled.Count == 0)
        {
            var count = found.Targets.Sum(t => t.Hooks.Count(h => BotWebhook.Matches(h, hookUrl)));
            report.Pass("webhook", $"{count} webhook{(count == 1 ? "" : "s")} for {hookUrl} on {where}: {BotWebhook.EventsDescription}, enabled");
        }
    }

    private static string List(IEnumerable<string> names)
    {
        var all = names.ToList();
        return all.Count <= ListedProjects
            ? string.Join(", ", all)
            : $"{string.Join(", ", all.Take(ListedProjects))} and {all.Count - ListedProjects} more";
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The doctor's output: one line per check, a fix under each failure.</summary>
    private sealed class Report(TextWriter output)
    {
        public int Failures { get; private set; }

        public void Pass(string check, string detail) => output.WriteLine($"✓ {check}: {detail}");

        public void Fail(string check, string detail, string fix)
        {
            Failures++;
            output.WriteLine($"✗ {check}: {detail}");
            output.WriteLine($"    fix: {fix}");
        }
    }
}
