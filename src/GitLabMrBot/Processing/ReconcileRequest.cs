using System.Text.Json.Serialization;
using GitLabMrBot.Events;

namespace GitLabMrBot.Processing;

/// <summary>
/// The bot's own MR work item, stored in the inbox under the MR's subject (<c>mr:{project}:{iid}</c>) like a
/// webhook delivery: it is ordered and coalesced with everything else queued for that MR, survives restarts,
/// and is retried like any delivery. Pushes, the sweep and mergeability re-checks queue these.
/// Its event name is no GitLab header, so the webhook endpoint can never store one.
/// </summary>
public sealed record ReconcileRequest
{
    public const string EventName = "GitLabMrBot Reconcile";

    public const string PushReason = "push";
    public const string SweepReason = "sweep";
    public const string MergeabilityReason = "mergeability";

    public required long ProjectId { get; init; }
    public required long Iid { get; init; }

    /// <summary>Why it was queued (<see cref="PushReason"/>, <see cref="SweepReason"/>, <see cref="MergeabilityReason"/>), for logs.</summary>
    public required string Reason { get; init; }

    /// <summary>Which mergeability re-check in a row this is (1 for the first); 0 for any other reason.</summary>
    public int RecheckAttempt { get; init; }

    [JsonIgnore]
    public MergeRequestRef MergeRequest => new(ProjectId, Iid);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ReconcileRequest))]
internal sealed partial class ReconcileRequestJsonContext : JsonSerializerContext;
