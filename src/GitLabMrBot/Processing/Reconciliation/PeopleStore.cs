using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GitLabMrBot.Events;
using GitLabMrBot.Policies.Reviewers;
using GitLabMrBot.Storage;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// The reviewer and assignee state kept in <see cref="IBotStateStore"/>: each MR's stored decisions (saved before
/// the PUT, marked applied after it) and each project's round-robin turn counter.
/// </summary>
public sealed partial class PeopleStore(IBotStateStore state, ILogger<PeopleStore> logger)
{
    public Task<PeopleDecision?> ReviewersAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken) =>
        LoadAsync(ReviewersKey(mergeRequest), cancellationToken);

    public Task<PeopleDecision?> AssigneesAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken) =>
        LoadAsync(AssigneesKey(mergeRequest), cancellationToken);

    /// <summary>Remembers the decisions just made, before the PUT that applies them.</summary>
    public async Task SaveAsync(MergeRequestRef mergeRequest, PeopleOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome.ReviewersToSave is { } reviewers)
        {
            await SaveAsync(ReviewersKey(mergeRequest), reviewers, cancellationToken);
        }
        if (outcome.AssigneesToSave is { } assignees)
        {
            await SaveAsync(AssigneesKey(mergeRequest), assignees, cancellationToken);
        }
    }

    /// <summary>
    /// Marks the decisions just written as applied: they are never written again. <paramref name="people"/> is the plan as
    /// GitLab applied it (read back from the PUT's answer), so the stored picks are whom GitLab kept, and the people it did
    /// not keep are stored as passed over: later evaluations explain exactly what the summary said when it was written.
    /// </summary>
    public async Task CommitAsync(MergeRequestRef mergeRequest, PeoplePlan people, CancellationToken cancellationToken)
    {
        if (people.ReviewersToCommit)
        {
            await MarkAppliedAsync(ReviewersKey(mergeRequest), people.Reviewers, people.PassedOver, people.ReviewersNote, cancellationToken);
        }
        if (people.AssigneesToCommit)
        {
            await MarkAppliedAsync(AssigneesKey(mergeRequest), people.Assignees, [], people.AssigneesNote, cancellationToken);
        }
    }

    /// <summary>
    /// Takes this MR's turn from the project's round-robin counter: the counter moves on by the slots being filled,
    /// atomically, so concurrent MRs (even on several instances) start at different people. A dry run only reads it.
    /// </summary>
    public async Task<long> TakeRoundRobinTurnAsync(MergeRequestRef mergeRequest, int slots, bool dryRun, CancellationToken cancellationToken)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"round-robin:{mergeRequest.ProjectId}");
        if (dryRun)
        {
            return long.TryParse(await state.GetAsync(key, cancellationToken), NumberStyles.Integer, CultureInfo.InvariantCulture, out var now) ? now : 0;
        }
        return await state.IncrementAsync(key, slots, cancellationToken) - slots;
    }

    private static string ReviewersKey(MergeRequestRef mr) => string.Create(CultureInfo.InvariantCulture, $"reviewers:{mr.ProjectId}:{mr.Iid}");

    private static string AssigneesKey(MergeRequestRef mr) => string.Create(CultureInfo.InvariantCulture, $"assignees:{mr.ProjectId}:{mr.Iid}");

    private async Task<PeopleDecision?> LoadAsync(string key, CancellationToken cancellationToken)
    {
        var json = await state.GetAsync(key, cancellationToken);
        if (json is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(json, PeopleJsonContext.Default.PeopleDecision);
        }
        catch (JsonException e)
        {
            // An unreadable record is treated as absent; GitLab's system notes still prevent asking twice.
            Log.UnreadableDecision(logger, key, e.Message);
            return null;
        }
    }

    private Task SaveAsync(string key, PeopleDecision decision, CancellationToken cancellationToken) =>
        state.SetAsync(key, JsonSerializer.Serialize(decision, PeopleJsonContext.Default.PeopleDecision), cancellationToken);

    private async Task MarkAppliedAsync(
        string key, IReadOnlyList<PersonPick> kept, IReadOnlyList<PassedOver> passedOver, string? note, CancellationToken cancellationToken)
    {
        if (await LoadAsync(key, cancellationToken) is { Applied: false } decision)
        {
            await SaveAsync(key, decision with { Picks = kept, PassedOver = passedOver, Note = note, Applied = true }, cancellationToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Stored decision {Key} is unreadable and ignored: {Error}")]
        public static partial void UnreadableDecision(ILogger logger, string key, string error);
    }
}

// Nulls are left out: a decision without a note reads as earlier versions wrote it.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PeopleDecision))]
internal sealed partial class PeopleJsonContext : JsonSerializerContext;
