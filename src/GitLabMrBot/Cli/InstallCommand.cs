using System.CommandLine;
using GitLabMrBot.Configuration;
using GitLabMrBot.GitLab;

namespace GitLabMrBot.Cli;

/// <summary>
/// <c>install --group PATH --url PUBLIC_URL [--secret S] [--dry-run]</c> (docs/contract.md §6): makes the group's
/// webhook point at <c>PUBLIC_URL/webhooks/gitlab</c> with merge request, push, comment and internal note events and
/// SSL verification on. Where GitLab has no group webhooks (Free), installs a project webhook on every project of
/// the group and its subgroups instead. Idempotent: a hook with that URL is updated only when it differs.
/// <para>
/// The secret token: GitLab never returns it, so it cannot be compared. With <c>--secret</c> it is sent on every
/// create and update (a re-run with <c>--secret</c> therefore re-sends it: one PUT per hook). Without it, existing
/// hooks keep theirs, and new hooks get a generated one, printed once; if some hooks exist and others must be
/// created, install stops before writing and asks for <c>--secret</c>, since one secret must serve them all.
/// Hook URLs are compared exactly, as GitLab does: a hook whose URL differs only by a trailing slash or letter case
/// is moved to the exact URL, which needs <c>--secret</c>, since GitLab clears the token of a hook whose URL changes
/// without one (docs/gitlab-behaviour.md §3.6).
/// </para>
/// </summary>
public static class InstallCommand
{
    private const string Description = $"""
        Create or update the group's webhook for this bot: merge request, push, comment and internal note events, SSL
        verification on.
        Without group webhooks (GitLab Free) it installs a project webhook on every project of the group and its
        subgroups. Running it again changes only what differs. Without --secret, new webhooks get a generated secret
        token, printed once.

        Example:
          {CommandLine.ProgramName} install --group acme/platform --url https://mrbot.example.com --dry-run
        """;

    private enum Step
    {
        Create,
        Update,
        Unchanged,
    }

    /// <summary><paramref name="MovesUrl"/>: an update that changes the hook's URL, which needs the token (docs/gitlab-behaviour.md §3.6).</summary>
    private sealed record Plan(HookOwner Owner, Step Step, GitLabHook? Hook, string Why, bool MovesUrl = false);

    /// <summary>What to install: the group, the bot's public URL, the secret token if given, and whether to write.</summary>
    public sealed record Request(string Group, string PublicUrl, string? Secret, bool DryRun);

    internal static Command Create(CliContext context)
    {
        var group = CliGitLab.GroupOption(required: true);
        var url = CliGitLab.PublicUrlOption(required: true);
        var secret = new Option<string>("--secret")
        {
            Description = $"The webhook's secret token, the bot's {BotSettings.WebhookSecretKey} [default: keep existing hooks' token; generate one for new hooks]",
        };
        var dryRun = CliGitLab.DryRunOption();
        var command = new Command("install", Description) { group, url, secret, dryRun, SettingOption.Config(), SettingOption.Database() };
        command.SetAction((result, cancellationToken) => RunAsync(
            new Request(result.GetRequiredValue(group), result.GetRequiredValue(url), result.GetValue(secret), result.GetValue(dryRun)),
            result.InvocationConfiguration.Output,
            context.Settings(result),
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(Request request, TextWriter output, IConfiguration configuration, CancellationToken cancellationToken = default)
    {
        if (!BotWebhook.TryParseHookUrl(request.PublicUrl, out var hookUrl, out var error))
        {
            output.WriteLine($"install: {error}");
            return CliExit.Usage;
        }
        if (request.Secret is not null && !BotWebhook.IsUsableSecret(request.Secret))
        {
            output.WriteLine("install: --secret must be printable ASCII without spaces or commas (GITLAB_WEBHOOK_SECRET is a comma-separated list).");
            return CliExit.Usage;
        }
        return await CliGitLab.RunWithClientAsync("install", configuration, output,
            gitlab => InstallAsync(gitlab, request.Group, hookUrl, request.Secret, request.DryRun, output, cancellationToken));
    }

    private static async Task<int> InstallAsync(IHookAdmin gitlab, string groupPath, string hookUrl, string? secret, bool dryRun, TextWriter output, CancellationToken cancellationToken)
    {
        var group = await HookDiscovery.FindGroupAsync(gitlab, groupPath, output, cancellationToken);
        if (group is null)
        {
            return CliExit.Failed;
        }
        output.WriteLine($"{(dryRun ? "Dry run: nothing is written. " : "")}Webhook {hookUrl} for group {group.FullPath}:");

        var found = await HookDiscovery.DiscoverAsync(gitlab, group, cancellationToken);
        if (!found.OnGroup)
        {
            output.WriteLine($"Group webhooks are not available ({found.UnavailableReason}).");
            output.WriteLine($"Installing project webhooks on every project of {group.FullPath} and its subgroups instead ({found.Targets.Count} projects).");
            if (found.Targets.Count == 0)
            {
                output.WriteLine($"✗ {group.FullPath} has no projects, so there is nothing to install on.");
                output.WriteLine("  fix: run install again once the group has projects (or use GitLab Premium for a group webhook).");
                return CliExit.Failed;
            }
        }

        var failed = 0;
        foreach (var target in found.Targets.Where(t => t.Error is not null))
        {
            output.WriteLine($"  ✗ {target.Owner}: cannot read its webhooks: {CliGitLab.Describe(target.Error!, CliGitLab.Token.GroupOwner)}");
            failed++;
        }
        var plans = found.Targets.Where(t => t.Error is null).SelectMany(t => PlanFor(t, hookUrl, secret)).ToList();

        if (secret is null && plans.Where(p => p.MovesUrl).ToList() is { Count: > 0 } moves)
        {
            // GitLab clears a hook's secret token when its URL changes and no token is sent: the bot would then
            // refuse every delivery, and GitLab disable the hook. The token cannot be read back, so ask for it.
            foreach (var move in moves)
            {
                output.WriteLine($"✗ {move.Owner}: webhook {move.Hook!.Id} points at {move.Hook.Url}, not exactly {hookUrl}; changing its URL without its secret token makes GitLab clear the token.");
            }
            output.WriteLine("  fix: run install again with the secret the bot uses: --secret \"$GITLAB_WEBHOOK_SECRET\". Nothing was changed.");
            return CliExit.Failed;
        }

        var token = secret;
        var generated = false;
        if (token is null && plans.Any(p => p.Step == Step.Create))
        {
            if (plans.Any(p => p.Step != Step.Create))
            {
                // New hooks need a token the bot knows, and the existing hooks' token cannot be read back.
                output.WriteLine($"✗ {plans.Count(p => p.Step != Step.Create)} webhooks already exist (their secret token cannot be read from GitLab) and {plans.Count(p => p.Step == Step.Create)} must be created: they need the same secret.");
                output.WriteLine("  fix: run install again with the secret the bot uses: --secret \"$GITLAB_WEBHOOK_SECRET\". Nothing was changed.");
                return CliExit.Failed;
            }
            token = BotWebhook.NewSecret();
            generated = true;
        }

        var (created, updated, unchanged) = (0, 0, 0);
        foreach (var plan in plans)
        {
            try
            {
                switch (plan.Step)
                {
                    case Step.Unchanged:
                        output.WriteLine($"  = {plan.Owner}: webhook {plan.Hook!.Id} is up to date");
                        unchanged++;
                        break;
                    case Step.Create when dryRun:
                        output.WriteLine($"  + {plan.Owner}: would create the webhook");
                        created++;
                        break;
                    case Step.Create:
                        var hook = await gitlab.CreateHookAsync(plan.Owner, BotWebhook.Body(hookUrl, token), cancellationToken);
                        output.WriteLine($"  + {plan.Owner}: created webhook {hook.Id}");
                        created++;
                        break;
                    case Step.Update when dryRun:
                        output.WriteLine($"  ~ {plan.Owner}: would update webhook {plan.Hook!.Id} ({plan.Why})");
                        updated++;
                        break;
                    case Step.Update:
                        // The token goes with every update it is known for. Without --secret the URL stays exactly the
                        // same (a move was refused above), so GitLab keeps the token the hook has (docs/gitlab-behaviour.md §3.6).
                        await gitlab.UpdateHookAsync(plan.Owner, plan.Hook!.Id, BotWebhook.Body(hookUrl, secret), cancellationToken);
                        output.WriteLine($"  ~ {plan.Owner}: updated webhook {plan.Hook.Id} ({plan.Why})");
                        updated++;
                        break;
                }
            }
            catch (GitLabApiException e)
            {
                output.WriteLine($"  ✗ {plan.Owner}: {CliGitLab.Describe(e, CliGitLab.Token.GroupOwner)}");
                failed++;
            }
        }

        if (created == 0 && updated == 0 && failed == 0)
        {
            output.WriteLine($"Nothing to change: {unchanged} webhook{(unchanged == 1 ? "" : "s")} already installed with {BotWebhook.EventsDescription}.");
            return CliExit.Ok;
        }
        var would = dryRun ? "would be " : "";
        output.WriteLine($"{created} {would}created, {updated} {would}updated, {unchanged} unchanged, {failed} failed.");
        if (generated && dryRun)
        {
            output.WriteLine("A secret token would be generated and printed once.");
        }
        else if (generated && created > 0)
        {
            output.WriteLine("Generated the webhook's secret token. It is shown only this once; give it to the bot:");
            output.WriteLine($"  export {BotSettings.WebhookSecretKey}={token}");
        }
        return failed > 0 ? CliExit.Failed : CliExit.Ok;
    }

    private static IEnumerable<Plan> PlanFor(HookTarget target, string hookUrl, string? secret)
    {
        var mine = target.Hooks.Where(h => BotWebhook.Matches(h, hookUrl)).ToList();
        if (mine.Count == 0)
        {
            // The bot's hook under another spelling of its URL is moved to the exact URL rather than duplicated.
            var spelled = target.Hooks.Where(h => BotWebhook.IsSpelledDifferently(h, hookUrl)).ToList();
            if (spelled.Count == 0)
            {
                yield return new Plan(target.Owner, Step.Create, null, "missing");
            }
            foreach (var hook in spelled)
            {
                var why = new List<string> { $"URL {hook.Url} → {hookUrl}" };
                why.AddRange(BotWebhook.Differences(hook));
                yield return new Plan(target.Owner, Step.Update, hook, string.Join(", ", why), MovesUrl: true);
            }
            yield break;
        }
        foreach (var hook in mine)
        {
            var why = BotWebhook.Differences(hook).ToList();
            if (secret is not null)
            {
                why.Add("secret token from --secret");
            }
            yield return why.Count == 0
                ? new Plan(target.Owner, Step.Unchanged, hook, "")
                : new Plan(target.Owner, Step.Update, hook, string.Join(", ", why));
        }
    }
}
