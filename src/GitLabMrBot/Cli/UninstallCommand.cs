using GitLabMrBot.GitLab;

namespace GitLabMrBot.Cli;

/// <summary>
/// <c>uninstall --group PATH --url PUBLIC_URL [--dry-run]</c> (docs/contract.md §6): deletes exactly the webhooks whose
/// URL is <c>PUBLIC_URL/webhooks/gitlab</c>, where install puts them: on the group, or (without group webhooks)
/// on every project of the group and its subgroups. Other hooks are left alone.
/// </summary>
public static class UninstallCommand
{
    public const string Usage = "usage: GitLabMrBot uninstall --group PATH --url PUBLIC_URL [--dry-run]";

    private static readonly HashSet<string> Options = CliGitLab.Options("--group", "--url");
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--dry-run" };

    public static async Task<int> RunAsync(string[] args, TextWriter output, IConfiguration configuration, CancellationToken cancellationToken = default)
    {
        var options = CliGitLab.Parse("uninstall", Usage, args, Options, Flags, ["--group", "--url"], output, out var exit);
        if (options is null)
        {
            return exit;
        }
        if (!BotWebhook.TryParseHookUrl(options["--url"]!, out var hookUrl, out var error))
        {
            output.WriteLine($"uninstall: {error}");
            return CliExit.Usage;
        }
        return await CliGitLab.RunWithClientAsync("uninstall", configuration, output,
            gitlab => UninstallAsync(gitlab, options["--group"]!, hookUrl, options.Flag("--dry-run"), output, cancellationToken));
    }

    private static async Task<int> UninstallAsync(IHookAdmin gitlab, string groupPath, string hookUrl, bool dryRun, TextWriter output, CancellationToken cancellationToken)
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
            output.WriteLine($"Group webhooks are not available ({found.UnavailableReason}); looking at the {found.Targets.Count} projects of {group.FullPath} and its subgroups.");
        }

        var (removed, failed) = (0, 0);
        foreach (var target in found.Targets)
        {
            if (target.Error is not null)
            {
                output.WriteLine($"  ✗ {target.Owner}: cannot read its webhooks: {CliGitLab.Describe(target.Error)}");
                failed++;
                continue;
            }
            foreach (var hook in target.Hooks.Where(h => BotWebhook.Matches(h, hookUrl)))
            {
                try
                {
                    if (!dryRun)
                    {
                        await gitlab.DeleteHookAsync(target.Owner, hook.Id, cancellationToken);
                    }
                    output.WriteLine($"  - {target.Owner}: {(dryRun ? "would remove" : "removed")} webhook {hook.Id}");
                    removed++;
                }
                catch (GitLabApiException e)
                {
                    output.WriteLine($"  ✗ {target.Owner}: {CliGitLab.Describe(e)}");
                    failed++;
                }
            }
        }

        output.WriteLine(removed == 0 && failed == 0
            ? $"Nothing to remove: no webhook for {hookUrl} in {group.FullPath}."
            : $"{removed} {(dryRun ? "would be removed" : "removed")}, {failed} failed.");
        return failed > 0 ? CliExit.Failed : CliExit.Ok;
    }
}
