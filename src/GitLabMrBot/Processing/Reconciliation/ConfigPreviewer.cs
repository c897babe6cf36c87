using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Config;
using GitLabMrBot.Storage;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// What the bot remembers of one MR's preview: its note (id and body hash), the head commit and the rules it was computed
/// for, whether it was marked obsolete, and the file it is about. With it, an evaluation of the MR at the same head reads
/// nothing more for the preview.
/// </summary>
public sealed record PreviewRecord(long? NoteId, string? BodyHash, string? HeadSha, string? Rules, bool Obsolete, string? FilePath)
{
    [JsonIgnore]
    public SummaryNote? Note => NoteId is { } id && BodyHash is { } hash ? new SummaryNote(id, hash) : null;
}

/// <summary>
/// The preview of issue 14 item 5. When an MR changes the project file, its version on the MR's head commit is compiled with
/// the group config; valid, every previewed MR (this one and up to <see cref="ConfigPreview.MaxOtherMergeRequests"/> other
/// open ones) is read as the reconciler reads it and decided twice by the pure engine, with the rules in force and with the
/// candidate, and the difference of the two plans' writes is the preview. No plan is executed: the only write is the preview
/// note, through <see cref="PlanExecutor.WriteMarkedNoteAsync"/>. Computed once per (MR, head commit, rules in force).
/// </summary>
public sealed partial class ConfigPreviewer(
    MergeRequestSnapshotReader snapshots,
    IMergeRequestReader gitLab,
    IGitLabDirectory directory,
    PolicyConfigProvider config,
    BotNotesStore notesStore,
    IBotStateStore state,
    PlanExecutor executor,
    ILogger<ConfigPreviewer> logger)
{
    /// <summary>
    /// Brings the MR's preview up to date after its evaluation. <paramref name="read"/> is what the reconciler read;
    /// <paramref name="current"/> the rules it decided with (the rules in force for this MR). Posts only when those rules
    /// write notes (<c>dryRun</c> off, <c>summaryComment</c> on); otherwise the preview is logged.
    /// </summary>
    public async Task UpdateAsync(MergeRequestRead read, CompiledConfig current, IList<WriteMade> journal, CancellationToken cancellationToken)
    {
        var snapshot = read.Snapshot;
        if (snapshot.State != "opened" || snapshot.HeadSha is not { } head)
        {
            // Closed or merged: the preview stays as it was (after a merge, the file is the project's rules).
            return;
        }
        var group = config.Current;
        if (!group.Projects.Enabled)
        {
            // The group reads no project files (no "projects" section): there are no rules to preview.
            return;
        }
        var mr = snapshot.Ref;
        var posts = !current.DryRun && current.SummaryComment;
        var record = await LoadAsync(mr, cancellationToken);
        var changed = ChangedProjectFile(snapshot.ChangedFiles);
        if (changed is null)
        {
            // Only a preview the bot posted is marked obsolete: an MR that never changed the file costs nothing here.
            if (record is { Obsolete: false, Note: { } note } && posts)
            {
                var (after, _) = await executor.WriteMarkedNoteAsync(mr, ConfigPreview.Marker, note, ConfigPreview.RenderObsolete(record.FilePath ?? CandidateConfig.ProjectFilePaths[0]),
                    knownAbsent: false, journal, cancellationToken);
                await SaveAsync(mr, record with { NoteId = after.Id, BodyHash = after.BodyHash, Obsolete = true, HeadSha = head }, cancellationToken);
            }
            return;
        }

        var rules = Fingerprint(group, current);
        if (record is { Obsolete: false } && record.HeadSha == head && record.Rules == rules && record.FilePath == changed.Value.Path)
        {
            return;
        }

        var body = await RenderAsync(read, changed.Value.Path, changed.Value.Deleted, group, current, cancellationToken);
        if (!posts)
        {
            Log.NotPosted(logger, mr.ProjectId, mr.Iid, current.DryRun ? "Dry run" : "summaryComment is off", body);
            await SaveAsync(mr, new PreviewRecord(record?.NoteId, record?.BodyHash, head, rules, false, changed.Value.Path), cancellationToken);
            return;
        }
        var known = record?.Note ?? (read.NotesRead && NoteMarkers.FindMarkedNote(read.BotNotes, read.Bot.Id, ConfigPreview.Marker) is { } found ? SummaryNote.Of(found) : null);
        var (written, wrote) = await executor.WriteMarkedNoteAsync(mr, ConfigPreview.Marker, known, body, knownAbsent: read.NotesRead && known is null, journal, cancellationToken);
        await SaveAsync(mr, new PreviewRecord(written.Id, written.BodyHash, head, rules, false, changed.Value.Path), cancellationToken);
        Log.Previewed(logger, mr.ProjectId, mr.Iid, changed.Value.Path, head, wrote);
    }

    /// <summary>The project file this MR changes (the first of <see cref="CandidateConfig.ProjectFilePaths"/>), and whether it deletes it.</summary>
    internal static (string Path, bool Deleted)? ChangedProjectFile(IReadOnlyList<ChangedFile> files)
    {
        foreach (var path in CandidateConfig.ProjectFilePaths)
        {
            if (files.FirstOrDefault(f => f.Path == path) is { } edited)
            {
                return (path, edited.DeletedFile);
            }
            if (files.Any(f => f.OldPath == path))
            {
                // Renamed away: at the head the file is no longer there.
                return (path, true);
            }
        }
        return null;
    }

    private async Task<string> RenderAsync(MergeRequestRead read, string path, bool deleted, CompiledConfig group, CompiledConfig current, CancellationToken cancellationToken)
    {
        var snapshot = read.Snapshot;
        var header = new PreviewHeader(path, snapshot.SourceBranch, snapshot.HeadSha!, deleted);
        CompiledConfig candidate;
        if (deleted)
        {
            candidate = group;
        }
        else
        {
            // The raw file at the head commit: the source branch as this evaluation saw it, even if it moved since.
            var text = await gitLab.GetFileAsync(snapshot.ProjectId, path, snapshot.HeadSha, cancellationToken);
            if (text is null)
            {
                (candidate, header) = (group, header with { Deleted = true });
            }
            else
            {
                var (effective, errors) = CandidateConfig.Compile(group, Encoding.UTF8.GetBytes(text), path);
                if (effective is null)
                {
                    return ConfigPreview.RenderInvalid(header, [.. errors.Select(e => new PreviewError(e.Path, e.Line, e.Message))]);
                }
                candidate = effective;
            }
        }

        // This MR as the reconciler read it (its commits too, should only the candidate look at them).
        var self = await ChangesAsync(snapshot.Ref, current, candidate, read.MergeRequest, snapshot.PostedPolicyComments.ToList(), cancellationToken)
            ?? new PreviewChanges(snapshot.Iid, snapshot.Title);
        var open = await directory.ListMergeRequestsAsync(snapshot.ProjectId, new MergeRequestFilter { State = "opened" }, cancellationToken);
        var (picked, notPreviewed) = ConfigPreview.PickOthers(open.Select(m => m.Iid), snapshot.Iid);
        var others = new List<PreviewChanges>();
        foreach (var iid in picked)
        {
            var other = new MergeRequestRef(snapshot.ProjectId, iid);
            // The policy comments the bot knows it posted there; with no record, none is assumed (both plans then agree on them).
            var known = await notesStore.LoadAsync(other, cancellationToken);
            if (await ChangesAsync(other, current, candidate, null, known?.PolicyComments ?? [], cancellationToken) is { } changes)
            {
                others.Add(changes);
            }
        }
        return ConfigPreview.RenderValid(header, self, others, notPreviewed);
    }

    /// <summary>One MR decided with both rule sets; null when it is gone or no longer open.</summary>
    private async Task<PreviewChanges?> ChangesAsync(
        MergeRequestRef mr, CompiledConfig current, CompiledConfig candidate, GitLabMergeRequest? known, IReadOnlyCollection<string> knownNotes, CancellationToken cancellationToken)
    {
        MergeRequestRead read;
        try
        {
            read = await snapshots.ReadAsync(mr, Both(current, candidate), knownNotes, withLabelHistory: false, cancellationToken, known, withSystemNotes: false);
        }
        catch (GitLabApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (read.Snapshot.State != "opened")
        {
            return null;
        }
        var now = PolicyEngine.Evaluate(read.Snapshot, current);
        var then = PolicyEngine.Evaluate(read.Snapshot, candidate);
        // As in the reconciler: the label events only when they could change either plan.
        if (LabelHistory.CouldChange(now, read.Snapshot.Labels) || LabelHistory.CouldChange(then, read.Snapshot.Labels))
        {
            read = await snapshots.WithLabelHistoryAsync(read, cancellationToken);
            now = PolicyEngine.Evaluate(read.Snapshot, current);
            then = PolicyEngine.Evaluate(read.Snapshot, candidate);
        }
        return ConfigPreview.Compare(read.Snapshot, now, then);
    }

    // The reader reads commit messages and the merge method only for a config that needs them, and finds the comments of
    // the config's policies: read once for both, with what either needs (each may need what the other does not).
    internal static CompiledConfig Both(CompiledConfig current, CompiledConfig candidate) =>
        new(current.Source, current.SourceName)
        {
            Policies = [.. current.Policies, .. candidate.Policies.Where(p => !current.Policies.Any(c => string.Equals(c.Name, p.Name, StringComparison.Ordinal)))],
            UsesCommitMessages = current.UsesCommitMessages || candidate.UsesCommitMessages,
            NeedsRebaseLabel = current.NeedsRebaseLabel ?? candidate.NeedsRebaseLabel,
        };

    /// <summary>The rules a preview was computed against: a change of the group's file or of the rules in force recomputes it.</summary>
    private static string Fingerprint(CompiledConfig group, CompiledConfig current)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(JsonSerializer.SerializeToUtf8Bytes(group.Source, BotConfigJsonContext.Default.BotConfig));
        hash.AppendData(JsonSerializer.SerializeToUtf8Bytes(current.Source, BotConfigJsonContext.Default.BotConfig));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private async Task<PreviewRecord?> LoadAsync(MergeRequestRef mr, CancellationToken cancellationToken)
    {
        var json = await state.GetAsync(Key(mr), cancellationToken);
        if (json is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(json, PreviewJsonContext.Default.PreviewRecord);
        }
        catch (JsonException e)
        {
            // Unreadable: computed again, and the note found again by its marker.
            Log.UnreadableRecord(logger, Key(mr), e.Message);
            return null;
        }
    }

    private Task SaveAsync(MergeRequestRef mr, PreviewRecord record, CancellationToken cancellationToken) =>
        state.SetAsync(Key(mr), JsonSerializer.Serialize(record, PreviewJsonContext.Default.PreviewRecord), cancellationToken);

    private static string Key(MergeRequestRef mr) => string.Create(CultureInfo.InvariantCulture, $"preview:{mr.ProjectId}:{mr.Iid}");

    private static partial class Log
    {
        [LoggerMessage(EventId = 4711, Level = LogLevel.Information, Message = "{ProjectId}!{Iid}: preview of {Path} at {HeadSha} (note written: {Written})")]
        public static partial void Previewed(ILogger logger, long projectId, long iid, string path, string headSha, bool written);

        [LoggerMessage(EventId = 4712, Level = LogLevel.Information, Message = "{Why}: {ProjectId}!{Iid} would get the project file preview:\n{Preview}")]
        public static partial void NotPosted(ILogger logger, long projectId, long iid, string why, string preview);

        [LoggerMessage(EventId = 4713, Level = LogLevel.Warning, Message = "Stored preview record {Key} is unreadable and ignored: {Error}")]
        public static partial void UnreadableRecord(ILogger logger, string key, string error);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PreviewRecord))]
internal sealed partial class PreviewJsonContext : JsonSerializerContext;
