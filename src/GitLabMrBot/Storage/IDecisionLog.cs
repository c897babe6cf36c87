using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitLabMrBot.Storage;

/// <summary>
/// The decision log: one bounded record per evaluation of an MR (what triggered it, what the plan wanted and why, the
/// writes made and what GitLab answered, how long it took, how it ended), so an operator can answer "why did the bot do
/// that on !12 last Tuesday" (<c>mrbot explain</c>, <c>/api/merge-requests/{projectId}/{iid}/decisions</c>).
/// Both providers keep the newest records of each MR up to a count, and none older than the retention.
/// </summary>
public interface IDecisionLog
{
    /// <summary>
    /// Stores the record, then drops the MR's records beyond the newest <paramref name="keepPerMergeRequest"/> and every
    /// record (of any MR) recorded before <paramref name="keepAfter"/>.
    /// </summary>
    Task AppendAsync(DecisionRecord record, int keepPerMergeRequest, DateTimeOffset keepAfter, CancellationToken cancellationToken);

    /// <summary>The MR's records, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DecisionRecord>> ListAsync(long projectId, long iid, int limit, CancellationToken cancellationToken);

    /// <summary>The newest records of every MR together, newest first, at most <paramref name="limit"/> (the status page's recent evaluations).</summary>
    Task<IReadOnlyList<DecisionRecord>> ListRecentAsync(int limit, CancellationToken cancellationToken);

    /// <summary>The id of the project with this path (<c>group/project</c>) as the log last saw it; null when it never did.</summary>
    Task<long?> FindProjectIdAsync(string projectPath, CancellationToken cancellationToken);
}

/// <summary>
/// One evaluation of one MR. Lists and texts are cut to <see cref="Bounds"/> when recorded, so a record stays small
/// whatever the MR (a push touching thousands of files, a 4 kB GitLab error).
/// </summary>
public sealed record DecisionRecord
{
    /// <summary>The store's id; 0 until stored.</summary>
    public long Id { get; init; }

    public required long ProjectId { get; init; }

    public required long Iid { get; init; }

    /// <summary><c>group/project</c>, from the MR's web URL; null when unknown.</summary>
    public string? ProjectPath { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double DurationMs { get; init; }

    /// <summary>One of the <see cref="DecisionOutcomes"/> words.</summary>
    public required string Outcome { get; init; }

    /// <summary>Why the evaluation failed (GitLab's answer included), or why the MR was left alone.</summary>
    public string? Detail { get; init; }

    /// <summary>What triggered it: the inbox deliveries behind it, with their events.</summary>
    public IReadOnlyList<DecisionTrigger> Triggers { get; init; } = [];

    /// <summary>What the plan wanted changed, each with its reason.</summary>
    public IReadOnlyList<DecisionChange> Changes { get; init; } = [];

    /// <summary>What was deliberately not done, and why.</summary>
    public IReadOnlyList<string> NotDone { get; init; } = [];

    /// <summary>The writes made, in order, with what GitLab answered.</summary>
    public IReadOnlyList<DecisionWrite> Writes { get; init; } = [];

    /// <summary>The record with every list and text cut to its bound.</summary>
    public DecisionRecord Bounded() => this with
    {
        Detail = Bounds.Cut(Detail),
        Triggers = [.. Triggers.Take(Bounds.Items)],
        Changes = [.. Changes.Take(Bounds.Items).Select(c => c with { What = Bounds.Cut(c.What)!, Why = Bounds.Cut(c.Why)! })],
        NotDone = [.. NotDone.Take(Bounds.Items).Select(n => Bounds.Cut(n)!)],
        Writes = [.. Writes.Take(Bounds.Items).Select(w => w with { What = Bounds.Cut(w.What)!, Answer = Bounds.Cut(w.Answer)! })],
    };

    internal string ToJson() => JsonSerializer.Serialize(Bounded(), DecisionLogJsonContext.Default.DecisionRecord);

    internal static DecisionRecord FromJson(long id, string json) =>
        (JsonSerializer.Deserialize(json, DecisionLogJsonContext.Default.DecisionRecord)
            ?? throw new InvalidDataException($"Decision record {id} is empty.")) with { Id = id };

    /// <summary>The limits of one record.</summary>
    public static class Bounds
    {
        public const int Items = 50;
        public const int Text = 500;

        public static string? Cut(string? text) => text is { Length: > Text } ? text[..Text] + "…" : text;
    }
}

public sealed record DecisionTrigger(string DeliveryId, string Event);

/// <param name="Kind">label+, label-, comment, reviewers, assignees, summary.</param>
public sealed record DecisionChange(string Kind, string What, string Why);

/// <param name="What">The write, as sent: <c>PUT merge request: labels +a -b</c>.</param>
/// <param name="Answer">What GitLab answered: <c>200 OK: labels now a, c</c>, or its error.</param>
public sealed record DecisionWrite(string What, string Answer);

/// <summary>How an evaluation ended.</summary>
public static class DecisionOutcomes
{
    /// <summary>It wrote to GitLab.</summary>
    public const string Changed = "changed";

    /// <summary>The MR was already as the policies want it: reads only.</summary>
    public const string Unchanged = "unchanged";

    /// <summary>Dry run: the plan was decided and logged, nothing written.</summary>
    public const string DryRun = "dry-run";

    /// <summary>Closed, merged or otherwise left alone.</summary>
    public const string Untouched = "untouched";

    /// <summary>GitLab was still computing mergeability: another look is scheduled.</summary>
    public const string Rescheduled = "rescheduled";

    /// <summary>It threw: the delivery is retried (or dead-lettered).</summary>
    public const string Failed = "failed";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DecisionRecord))]
internal sealed partial class DecisionLogJsonContext : JsonSerializerContext;
