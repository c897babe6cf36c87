using System.CommandLine;
using GitLabMrBot.GitLab;

namespace GitLabMrBot.Cli;

/// <summary>
/// <c>uninstall --group PATH --url PUBLIC_URL [--dry-run]</c> (docs/contract.md §6): deletes exactly the webhooks whose
/// URL is <c>PUBLIC_URL/webhooks/gitlab</c>, where install puts them: on the group, or (without group webhooks)
/// on every project of the group and its subgroups. Other hooks are left alone.
/// </summary>
public static class UninstallCommand
{
    private const string Description = $"""
        Remove exactly the webhooks for this bot's URL, where install put them: on the group, or on every project of
        the group and its subgroups. Other webhooks are left alone.

        Example:
          {CommandLine.ProgramName} uninstall --group acme/platform --url https://mrbot.example.com
        """;

    /// <summary>What to remove: the webhooks for the bot's public URL in the group, or only say so.</summary>
    public sealed record Request(string Group, string PublicUrl, bool DryRun);

    internal static Command Create(CliContext context)
    {
        var group = CliGitLab.GroupOption(required: true);
        var url = CliGitLab.PublicUrlOption(required: true);
        var dryRun = CliGitLab.DryRunOption();
        var command = new Command("uninstall", Description) { group, url, dryRun, SettingOption.Config(), SettingOption.Database() };
        command.SetAction((result, cancellationToken) => RunAsync(
            new Request(result.GetRequiredValue(group), result.GetRequiredValue(url), result.GetValue(dryRun)),
            result.InvocationConfiguration.Output,
            context.Settings(result),
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(Request request, TextWriter output, IConfiguration configuration, CancellationToken cancellationToken = default)
    {
        if (!BotWebhook.TryParseHookUrl(request.PublicUrl, out var hookUrl, out var error))
        {
            output.WriteLine($"uninstall: {error}");
            return CliExit.Usage;
        }
        return await CliGitLab.RunWithClientAsync("uninstall", configuration, output,
            gitlab => UninstallAsync(gitlab, request.Group, hookUrl, request.DryRun, output, cancellationToken));
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
                output.WriteLine($"  ✗ {target.Owner}: cannot read its webhooks: {CliGitLab.Describe(target.Error, CliGitLab.Token.GroupOwner)}");
                failed++;
                continue;
            }
            foreach (var hook in target.Hooks.Where(h => BotWebhook.PointsAtBot(h, hookUrl)))
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
                    output.WriteLine($"  ✗ {target.Owner}: {CliGitLab.Describe(e, CliGitLab.Token.GroupOwner)}");
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
