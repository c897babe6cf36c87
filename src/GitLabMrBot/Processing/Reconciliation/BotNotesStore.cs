using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Storage;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// What the bot knows of its own notes on one MR: the summary note (id and hash of the body it last wrote; null when the
/// MR has none) and the policies whose comment it posted. With this record an evaluation reads no notes.
/// </summary>
public sealed record BotNotesRecord(long? SummaryId, string? SummaryHash, IReadOnlyList<string> PolicyComments)
{
    /// <summary>The summary note as last written, or null.</summary>
    [JsonIgnore]
    public SummaryNote? Summary => SummaryId is { } id && SummaryHash is { } hash ? new SummaryNote(id, hash) : null;
}

/// <summary>
/// Keeps a <see cref="BotNotesRecord"/> per MR in <see cref="IBotStateStore"/> (<c>notes:42:7</c>). A missing or unreadable
/// record only costs one read of the MR's notes, where the bot finds its notes by their markers.
/// </summary>
public sealed partial class BotNotesStore(IBotStateStore state, ILogger<BotNotesStore> logger)
{
    public async Task<BotNotesRecord?> LoadAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken)
    {
        var key = Key(mergeRequest);
        var json = await state.GetAsync(key, cancellationToken);
        if (json is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(json, BotNotesJsonContext.Default.BotNotesRecord);
        }
        catch (JsonException e)
        {
            Log.UnreadableRecord(logger, key, e.Message);
            return null;
        }
    }

    /// <summary>Stores <paramref name="record"/> unless it is what <paramref name="known"/> already says.</summary>
    public Task SaveAsync(MergeRequestRef mergeRequest, BotNotesRecord? known, BotNotesRecord record, CancellationToken cancellationToken)
    {
        if (known is not null && known.SummaryId == record.SummaryId && known.SummaryHash == record.SummaryHash
            && known.PolicyComments.SequenceEqual(record.PolicyComments, StringComparer.Ordinal))
        {
            return Task.CompletedTask;
        }
        return state.SetAsync(Key(mergeRequest), JsonSerializer.Serialize(record, BotNotesJsonContext.Default.BotNotesRecord), cancellationToken);
    }

    private static string Key(MergeRequestRef mr) => string.Create(CultureInfo.InvariantCulture, $"notes:{mr.ProjectId}:{mr.Iid}");

    private static partial class Log
    {
        [LoggerMessage(EventId = 4311, Level = LogLevel.Warning, Message = "Stored note record {Key} is unreadable and ignored: {Error}")]
        public static partial void UnreadableRecord(ILogger logger, string key, string error);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BotNotesRecord))]
internal sealed partial class BotNotesJsonContext : JsonSerializerContext;
