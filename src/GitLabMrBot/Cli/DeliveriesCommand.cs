using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GitLabMrBot.Admin;
using GitLabMrBot.Inbox;

namespace GitLabMrBot.Cli;

/// <summary>
/// <c>deliveries list|show|retry|drop</c>: the inbox's dead letters (and any other state) from the store, as
/// <c>/api/deliveries</c> serves them. Retrying re-queues a dead letter once (pending, due now, attempts reset); a running bot
/// takes it at its next look.
/// </summary>
internal static class DeliveriesCommand
{
    private const string Description = $"""
        The inbox's deliveries, read from the store (MRBOT_DATABASE or --database): list them (dead letters unless --state
        says otherwise), show one with its payload, retry a dead letter (pending again, due now, attempts reset; retrying
        anything else changes nothing), or drop one (dead or done only).

        Examples:
          {CommandLine.ProgramName} deliveries list
          {CommandLine.ProgramName} deliveries show 42
          {CommandLine.ProgramName} deliveries retry 42
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(CliContext context)
    {
        var command = new Command("deliveries", Description);

        var state = new Option<string>("--state") { Description = $"pending, processing, done, dead or all [default: {DeliveryStates.Default}]", HelpName = "STATE" };
        var json = JsonOption();
        var list = new Command("list", "List deliveries, oldest first (dead letters by default)") { state, json, SettingOption.Database() };
        list.SetAction((result, ct) => WithStoreAsync(context, result, store => ListAsync(store, result.GetValue(state), result.GetValue(json), result.InvocationConfiguration, ct)));
        command.Subcommands.Add(list);

        command.Subcommands.Add(WithId("show", "Show one delivery with its payload", context, json, (store, id, result, ct) => ShowAsync(store, id, result.GetValue(json), result.InvocationConfiguration, ct)));
        command.Subcommands.Add(WithId("retry", "Re-queue a dead letter (idempotent)", context, json, (store, id, result, ct) => RetryAsync(store, id, result.GetValue(json), result.InvocationConfiguration, ct)));
        command.Subcommands.Add(WithId("drop", "Delete a dead (or done) delivery", context, json, (store, id, result, ct) => DropAsync(store, id, result.InvocationConfiguration, ct)));
        return command;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "JSON for scripts (as /api/deliveries answers)" };

    private static Command WithId(string name, string description, CliContext context, Option<bool> json, Func<CliStore, string, ParseResult, CancellationToken, Task<int>> run)
    {
        var id = new Argument<string>("id") { Description = "The delivery's id (from deliveries list)" };
        var command = new Command(name, description) { id, SettingOption.Database() };
        if (name != "drop")
        {
            command.Options.Add(json);
        }
        command.SetAction((result, ct) => WithStoreAsync(context, result, store => run(store, result.GetValue(id)!, result, ct)));
        return command;
    }

    private static async Task<int> WithStoreAsync(CliContext context, ParseResult result, Func<CliStore, Task<int>> work)
    {
        await using var store = await CliStore.OpenAsync(context.Settings(result), result.InvocationConfiguration.Error);
        if (store is null)
        {
            return CliExit.Usage;
        }
        try
        {
            return await work(store);
        }
        catch (InboxUnavailableException e)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync(e.Message);
            return CliExit.Failed;
        }
    }

    private static async Task<int> ListAsync(CliStore store, string? state, bool json, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        if (!DeliveryStates.TryParse(state, out var status))
        {
            await io.Error.WriteLineAsync($"deliveries list: --state '{state}' is none of {string.Join(", ", DeliveryStates.Words)}.");
            return CliExit.Usage;
        }
        var deliveries = await store.Inbox.ListAsync(status, cancellationToken);
        if (json)
        {
            await io.Output.WriteLineAsync(JsonSerializer.Serialize(deliveries.Select(d => DeliveryView.Of(d, withBody: false)), Json));
            return CliExit.Ok;
        }
        if (deliveries.Count == 0)
        {
            await io.Output.WriteLineAsync($"No {(status is null ? "" : DeliveryStates.Word(status.Value) + " ")}deliveries.");
            return CliExit.Ok;
        }
        foreach (var d in deliveries)
        {
            await io.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{d.Id,6}  {DeliveryStates.Word(d.Status),-10} {d.ReceivedAt:yyyy-MM-dd HH:mm:ss}Z  {d.Event}  {d.Subject}  attempts {d.Attempts}{(d.LastError is null ? "" : "  " + FirstLine(d.LastError))}"));
        }
        return CliExit.Ok;
    }

    private static async Task<int> ShowAsync(CliStore store, string id, bool json, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        if (await store.Admin.GetAsync(id, cancellationToken) is not { } d)
        {
            await io.Error.WriteLineAsync($"No delivery {id} in the store.");
            return CliExit.Failed;
        }
        var view = DeliveryView.Of(d, withBody: true);
        if (json)
        {
            await io.Output.WriteLineAsync(JsonSerializer.Serialize(view, Json));
            return CliExit.Ok;
        }
        await io.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"""
            Delivery {d.Id}: {view.State}, {d.Attempts} attempts
              event     {d.Event}{(d.EventUuid is null ? "" : $" (GitLab event {d.EventUuid})")}
              subject   {d.Subject}
              received  {d.ReceivedAt:u}
              next try  {(d.Status == DeliveryStatus.Pending ? d.NextAttemptAt.ToString("u", CultureInfo.InvariantCulture) : "-")}
              error     {d.LastError ?? "-"}
              payload   {view.Body}
            """));
        return CliExit.Ok;
    }

    private static async Task<int> RetryAsync(CliStore store, string id, bool json, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        var result = await store.Admin.RetryAsync(id, cancellationToken);
        if (result.Delivery is not { } d)
        {
            await io.Error.WriteLineAsync($"No delivery {id} in the store.");
            return CliExit.Failed;
        }
        if (json)
        {
            await io.Output.WriteLineAsync(JsonSerializer.Serialize(new RetryView(result.Requeued, DeliveryView.Of(d, withBody: false)), Json));
            return CliExit.Ok;
        }
        await io.Output.WriteLineAsync(result.Requeued
            ? $"Delivery {id} re-queued: pending, due now, attempts reset (the bot takes it at its next look)."
            : $"Delivery {id} is {DeliveryStates.Word(d.Status)}, not dead: nothing changed.");
        return CliExit.Ok;
    }

    private static async Task<int> DropAsync(CliStore store, string id, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        var result = await store.Admin.DropAsync(id, cancellationToken);
        switch (result.Outcome)
        {
            case DropOutcome.Dropped:
                await io.Output.WriteLineAsync($"Delivery {id} dropped.");
                return CliExit.Ok;
            case DropOutcome.NotFound:
                await io.Error.WriteLineAsync($"No delivery {id} in the store.");
                return CliExit.Failed;
            default:
                await io.Error.WriteLineAsync($"Delivery {id} is {DeliveryStates.Word(result.Status!.Value)}: only dead or done deliveries are dropped.");
                return CliExit.Failed;
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();
}
