using System.Globalization;
using System.Net;
using GitLabMrBot.Events;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;
using Refit;

namespace GitLabMrBot.GitLab;

/// <summary>
/// The bot's GitLab API: typed calls over <see cref="IGitLabApi"/> with pagination, one error type
/// (<see cref="GitLabApiException"/>) and idempotent note writes. Resilience (timeouts, retries,
/// rate limiting) lives in the HTTP pipeline (<see cref="GitLabResilience"/>), not here — except the
/// note create, which is never re-sent blindly (<see cref="UpsertMarkedNoteAsync"/>).
/// </summary>
public sealed partial class GitLabClient(
    IGitLabApi api,
    GitLabIdentityCache identity,
    IOptions<GitLabClientOptions> options,
    TimeProvider timeProvider,
    ILogger<GitLabClient> logger) : IMergeRequestReader, IMergeRequestWriter, IGitLabDirectory
{
    private const string NotesSort = "asc";
    private const string NotesOrderBy = "created_at";

    /// <summary>The largest <c>/diffs</c> page every GitLab version serves (docs/gitlab-behaviour.md §3.2).</summary>
    public const int SafeDiffsPerPage = 30;
    private readonly GitLabClientOptions _options = options.Value;

    // ---- Reads -------------------------------------------------------------------------------

    /// <summary>The bot's own user (<c>GET /user</c>), fetched once per process: its id tells our notes and events apart.</summary>
    public async Task<GitLabUser> GetCurrentUserAsync(CancellationToken cancellationToken)
    {
        if (identity.User is null && identity.InFlightLookup is { IsCompleted: false } lookup)
        {
            // The start-up probe is asking GitLab right now: its answer serves this call too (one GET /user, not two).
            await lookup.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (identity.User is { } cached)
        {
            return cached;
        }
        var user = await ReadAsync(api.GetCurrentUserAsync(cancellationToken), "GET", "/user", cancellationToken);
        identity.User = user;
        return user;
    }

    /// <summary>The project with this path (<c>group/project</c>); null when GitLab has none the token can see.</summary>
    public async Task<GitLabProject?> FindProjectAsync(string projectPath, CancellationToken cancellationToken)
    {
        var encoded = Uri.EscapeDataString(projectPath.Trim().Trim('/'));
        var response = await SendAsync(api.GetProjectByPathAsync(encoded, cancellationToken), "GET", $"/projects/{encoded}", cancellationToken, allowNotFound: true);
        return response.StatusCode == HttpStatusCode.NotFound ? null : response.Content;
    }

    public Task<GitLabProject> GetProjectAsync(long projectId, CancellationToken cancellationToken) =>
        ReadAsync(api.GetProjectAsync(projectId, cancellationToken), "GET", $"/projects/{projectId}", cancellationToken);

    /// <summary>
    /// The MR with <c>diverged_commits_count</c>: how far its target moved on, computed on read (unlike <c>has_conflicts</c>),
    /// which the needs-rebase rule needs (docs/gitlab-behaviour.md §3.2).
    /// </summary>
    public Task<GitLabMergeRequest> GetMergeRequestAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken) =>
        ReadAsync(api.GetMergeRequestAsync(mergeRequest.ProjectId, mergeRequest.Iid, "true", cancellationToken), "GET", MrPath(mergeRequest), cancellationToken);

    /// <summary>
    /// Every changed file of the MR. Older GitLab versions answer 500 to <c>/diffs</c>
    /// above <see cref="SafeDiffsPerPage"/> per page on large MRs (docs/gitlab-behaviour.md §3.2): a 500 reads the list
    /// again from page 1 at that size, and the size is kept for the rest of the process so the 500 is paid once.
    /// </summary>
    public async Task<IReadOnlyList<GitLabDiff>> GetAllDiffsAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken)
    {
        var path = $"{MrPath(mergeRequest)}/diffs";
        var perPage = identity.DiffsPerPage ?? _options.PerPage;
        try
        {
            return await GetAllPagesAsync(path, (page, size, ct) => api.GetDiffsAsync(mergeRequest.ProjectId, mergeRequest.Iid, page, size, ct), cancellationToken, perPage);
        }
        catch (GitLabApiException e) when (e.StatusCode == HttpStatusCode.InternalServerError && perPage > SafeDiffsPerPage)
        {
            Log.DiffsPageSizeLowered(logger, mergeRequest, perPage, SafeDiffsPerPage);
            identity.DiffsPerPage = SafeDiffsPerPage;
            return await GetAllPagesAsync(path, (page, size, ct) => api.GetDiffsAsync(mergeRequest.ProjectId, mergeRequest.Iid, page, size, ct), cancellationToken, SafeDiffsPerPage);
        }
    }

    public Task<IReadOnlyList<GitLabCommit>> GetCommitsAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken) =>
        GetAllPagesAsync($"{MrPath(mergeRequest)}/commits", (page, size, ct) => api.GetCommitsAsync(mergeRequest.ProjectId, mergeRequest.Iid, page, size, ct), cancellationToken);

    public Task<IReadOnlyList<GitLabLabelEvent>> GetLabelEventsAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken) =>
        GetAllPagesAsync($"{MrPath(mergeRequest)}/resource_label_events", (page, size, ct) => api.GetLabelEventsAsync(mergeRequest.ProjectId, mergeRequest.Iid, page, size, ct), cancellationToken);

    /// <summary>Every note of the MR, system notes included, oldest first.</summary>
    public Task<IReadOnlyList<GitLabNote>> GetNotesAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken) =>
        GetAllPagesAsync($"{MrPath(mergeRequest)}/notes", (page, size, ct) => api.GetNotesAsync(mergeRequest.ProjectId, mergeRequest.Iid, page, size, NotesSort, NotesOrderBy, ct), cancellationToken);

    /// <summary>Project labels, including those inherited from its groups.</summary>
    public Task<IReadOnlyList<GitLabLabel>> GetLabelsAsync(long projectId, CancellationToken cancellationToken) =>
        GetAllPagesAsync($"/projects/{projectId}/labels", (page, size, ct) => api.GetLabelsAsync(projectId, page, size, ct), cancellationToken);

    public async Task<string?> GetFileAsync(long projectId, string filePath, string? gitRef, CancellationToken cancellationToken)
    {
        var encoded = GitLabPaths.EncodeFilePath(filePath);
        var response = await SendAsync(api.GetRawFileAsync(projectId, encoded, string.IsNullOrWhiteSpace(gitRef) ? null : gitRef, cancellationToken), "GET", $"/projects/{projectId}/repository/files/{encoded}/raw", cancellationToken, allowNotFound: true);
        return response.StatusCode == HttpStatusCode.NotFound ? null : response.Content ?? "";
    }

    public async Task<GitLabRepositoryFile?> GetRepositoryFileAsync(long projectId, string filePath, string gitRef, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(gitRef);
        var encoded = GitLabPaths.EncodeFilePath(filePath);
        var response = await SendAsync(api.GetRepositoryFileAsync(projectId, encoded, gitRef, cancellationToken), "GET", $"/projects/{projectId}/repository/files/{encoded}", cancellationToken, allowNotFound: true);
        return response.StatusCode == HttpStatusCode.NotFound ? null : response.Content;
    }

    public async Task<string?> GetBranchHeadAsync(long projectId, string branch, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(branch);
        var encoded = GitLabPaths.EncodeFilePath(branch);
        var response = await SendAsync(api.GetBranchAsync(projectId, encoded, cancellationToken), "GET", $"/projects/{projectId}/repository/branches/{encoded}", cancellationToken, allowNotFound: true);
        return response.StatusCode == HttpStatusCode.NotFound ? null : response.Content?.Commit?.Id;
    }

    // ---- Directory ---------------------------------------------------------------------------

    public async Task<GitLabMember?> GetProjectMemberAsync(long projectId, long userId, CancellationToken cancellationToken)
    {
        var response = await SendAsync(api.GetProjectMemberAsync(projectId, userId, cancellationToken), "GET", $"/projects/{projectId}/members/all/{userId}", cancellationToken, allowNotFound: true);
        return response.StatusCode == HttpStatusCode.NotFound ? null : response.Content;
    }

    public Task<IReadOnlyList<GitLabMember>> GetGroupMembersAsync(long groupId, bool includeInherited, CancellationToken cancellationToken) =>
        includeInherited
            ? GetAllPagesAsync($"/groups/{groupId}/members/all", (page, size, ct) => api.GetAllGroupMembersAsync(groupId, page, size, ct), cancellationToken)
            : GetAllPagesAsync($"/groups/{groupId}/members", (page, size, ct) => api.GetDirectGroupMembersAsync(groupId, page, size, ct), cancellationToken);

    public Task<IReadOnlyList<GitLabMember>> GetDirectProjectMembersAsync(long projectId, CancellationToken cancellationToken) =>
        GetAllPagesAsync($"/projects/{projectId}/members", (page, size, ct) => api.GetDirectProjectMembersAsync(projectId, page, size, ct), cancellationToken);

    public async Task<IReadOnlyList<GitLabMember>?> GetDirectGroupMembersAsync(string groupPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupPath);
        var encoded = Uri.EscapeDataString(groupPath.Trim().Trim('/').TrimStart('@'));
        try
        {
            return await GetAllPagesAsync($"/groups/{encoded}/members", (page, size, ct) => api.GetDirectGroupMembersByPathAsync(encoded, page, size, ct), cancellationToken);
        }
        catch (GitLabApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<GitLabUser?> FindUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        var wanted = email.Trim();
        var users = await ReadAsync(api.SearchUsersAsync(wanted, cancellationToken), "GET", "/users", cancellationToken);
        // The search also matches names and usernames: trust a public email when GitLab shows one, else only a single hit.
        var byEmail = users.Where(u => string.Equals(u.PublicEmail, wanted, StringComparison.OrdinalIgnoreCase)).ToList();
        return byEmail.Count == 1 ? byEmail[0] : byEmail.Count == 0 && users.Count == 1 ? users[0] : null;
    }

    public async Task<GitLabUserStatus?> GetUserStatusAsync(long userId, CancellationToken cancellationToken)
    {
        var response = await SendAsync(api.GetUserStatusAsync(userId, cancellationToken), "GET", $"/users/{userId}/status", cancellationToken, allowNotFound: true);
        return response.StatusCode == HttpStatusCode.NotFound ? null : response.Content;
    }

    public async Task<GitLabUser?> FindUserAsync(string username, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        var name = username.Trim().TrimStart('@');
        var users = await ReadAsync(api.FindUsersAsync(name, cancellationToken), "GET", "/users", cancellationToken);
        // The filter is exact but case-insensitive on GitLab's side; prefer the exact spelling if both exist.
        return users.FirstOrDefault(u => string.Equals(u.Username, name, StringComparison.Ordinal))
            ?? users.FirstOrDefault(u => string.Equals(u.Username, name, StringComparison.OrdinalIgnoreCase));
    }

    public Task<IReadOnlyList<GitLabMergeRequest>> ListMergeRequestsAsync(long projectId, MergeRequestFilter filter, CancellationToken cancellationToken)
    {
        var updatedAfter = filter.UpdatedAfter?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return GetAllPagesAsync(
            $"/projects/{projectId}/merge_requests",
            (page, size, ct) => api.ListProjectMergeRequestsAsync(projectId, filter.State, filter.SourceBranch, filter.TargetBranch, updatedAfter, filter.ReviewerId, page, size, ct),
            cancellationToken);
    }

    public Task<IReadOnlyList<GitLabMergeRequest>> ListGroupMergeRequestsAsync(string group, MergeRequestFilter filter, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        var updatedAfter = filter.UpdatedAfter?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return GetAllPagesAsync(
            $"/groups/{Uri.EscapeDataString(group)}/merge_requests",
            (page, size, ct) => api.ListGroupMergeRequestsAsync(group, filter.State, updatedAfter, page, size, ct),
            cancellationToken);
    }

    /// <summary>
    /// How many merge requests anywhere (<c>scope=all</c>) have this reviewer, from one request for one item: GitLab's
    /// <c>x-total</c> header. GitLab leaves it out past <see cref="GitLabPaths.CountLimit"/> records (docs/gitlab-behaviour.md §3.8):
    /// then a next page means "more than the limit", which is answered as <c>CountLimit + 1</c>.
    /// </summary>
    public async Task<int> CountMergeRequestsForReviewerAsync(long reviewerId, string? state, CancellationToken cancellationToken)
    {
        var response = await SendAsync(api.ListMergeRequestsForReviewerAsync(reviewerId, state, "all", 1, 1, cancellationToken), "GET", "/merge_requests", cancellationToken);
        var total = response.Headers?.TryGetValues("x-total", out var totals) == true ? totals.FirstOrDefault() : null;
        if (int.TryParse(total?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return count;
        }
        var next = GitLabPaths.ParseNextPage(response.Headers?.TryGetValues("x-next-page", out var values) == true ? values.FirstOrDefault() : null);
        return next is null ? response.Content?.Count ?? 0 : GitLabPaths.CountLimit + 1;
    }

    // ---- Writes ------------------------------------------------------------------------------

    public Task<GitLabMergeRequest> UpdateMergeRequestAsync(MergeRequestRef mergeRequest, MergeRequestUpdate update, CancellationToken cancellationToken)
    {
        if (update.IsEmpty)
        {
            // GitLab answers 400 to an empty PUT; a caller with nothing to change must not call at all.
            throw new ArgumentException("The update changes nothing.", nameof(update));
        }
        return ReadAsync(api.UpdateMergeRequestAsync(mergeRequest.ProjectId, mergeRequest.Iid, Body(update), cancellationToken), "PUT", MrPath(mergeRequest), cancellationToken);
    }

    /// <summary>
    /// Reads the merge request, lets <paramref name="build"/> make the update from what it holds now, and PUTs it; every
    /// attempt, retries included, starts with a new read. <c>reviewer_ids</c>/<c>assignee_ids</c> replace whole lists
    /// (docs/gitlab-behaviour.md §3.2), so a PUT built from an older read (or the same PUT sent again a minute later) would remove
    /// whoever a human added meanwhile. Transient failures (no answer, 408, 429, 5xx) are tried again as often as the pipeline
    /// would, waiting as GitLab asks; an update that changes nothing is not sent.
    /// </summary>
    public async Task<FreshUpdateResult> UpdateMergeRequestFromFreshReadAsync(
        MergeRequestRef mergeRequest, Func<GitLabMergeRequest, MergeRequestUpdate> build, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(build);
        for (var attempt = 1; ; attempt++)
        {
            var before = await GetMergeRequestAsync(mergeRequest, cancellationToken);
            var update = build(before);
            if (update.IsEmpty)
            {
                return new FreshUpdateResult(before, null, before);
            }
            try
            {
                var call = api.UpdateMergeRequestOnceAsync(mergeRequest.ProjectId, mergeRequest.Iid, Body(update), noRepeat: true, cancellationToken);
                var after = await ReadAsync(call, "PUT", MrPath(mergeRequest), cancellationToken);
                return new FreshUpdateResult(before, update, after);
            }
            catch (GitLabApiException e) when (attempt <= _options.MaxRetryAttempts && RetryDelay(e, attempt) is { } delay)
            {
                Log.UpdateRetrying(logger, mergeRequest, attempt, e.StatusCode, delay);
                await Task.Delay(delay, timeProvider, cancellationToken);
            }
        }
    }

    // The wait before another attempt, or null when the failure is final (a 4xx GitLab rejected, or a longer wait than
    // the pipeline would honour: the caller reschedules then, as for any other call).
    private TimeSpan? RetryDelay(GitLabApiException e, int attempt)
    {
        if (e.StatusCode is { } status && !GitLabRetryRules.IsTransientStatus(status))
        {
            return null;
        }
        var delay = e.RetryAfter ?? Backoff.Exponential(attempt, _options.RetryBaseDelay, _options.MaxRetryDelay);
        return delay > _options.MaxRetryDelay ? null : delay;
    }

    private static UpdateMergeRequestBody Body(MergeRequestUpdate update) => new()
    {
        AddLabels = JoinLabels(update.AddLabels, nameof(update.AddLabels)),
        RemoveLabels = JoinLabels(update.RemoveLabels, nameof(update.RemoveLabels)),
        AssigneeIds = update.AssigneeIds,
        ReviewerIds = update.ReviewerIds,
    };

    public Task<GitLabNote> CreateNoteAsync(MergeRequestRef mergeRequest, string body, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(body);
        return ReadAsync(api.CreateNoteAsync(mergeRequest.ProjectId, mergeRequest.Iid, new NoteBody(body), cancellationToken), "POST", $"{MrPath(mergeRequest)}/notes", cancellationToken);
    }

    public Task<GitLabNote> UpdateNoteAsync(MergeRequestRef mergeRequest, long noteId, string body, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(body);
        return ReadAsync(api.UpdateNoteAsync(mergeRequest.ProjectId, mergeRequest.Iid, noteId, new NoteBody(body), cancellationToken), "PUT", $"{MrPath(mergeRequest)}/notes/{noteId}", cancellationToken);
    }

    /// <summary>
    /// Makes the bot's note holding <paramref name="marker"/> read <paramref name="body"/> (the marker is
    /// appended when the body lacks it): edits it when it differs, leaves it when equal, else posts it.
    /// A POST whose outcome is unknown (5xx, timeout, lost connection) may still have created the note,
    /// so before posting again the notes are searched for the marker once more.
    /// </summary>
    public async Task<NoteUpsertResult> UpsertMarkedNoteAsync(MergeRequestRef mergeRequest, string marker, string body, CancellationToken cancellationToken, bool knownAbsent = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(marker);
        ArgumentException.ThrowIfNullOrWhiteSpace(body);
        var wanted = NoteMarkers.WithMarker(body, marker);
        var me = await GetCurrentUserAsync(cancellationToken);
        var posted = false;

        for (var attempt = 1; ; attempt++)
        {
            var notes = knownAbsent && !posted ? [] : await GetNotesAsync(mergeRequest, cancellationToken);
            if (NoteMarkers.FindMarkedNote(notes, me.Id, marker) is { } existing)
            {
                if (NoteMarkers.SameBody(existing.Body, wanted))
                {
                    // Found after an uncertain POST of ours: that POST did create it.
                    var outcome = posted ? NoteUpsertOutcome.Created : NoteUpsertOutcome.Unchanged;
                    Log.NoteUpserted(logger, mergeRequest, existing.Id, outcome);
                    return new NoteUpsertResult(existing, outcome);
                }
                var updated = await UpdateNoteAsync(mergeRequest, existing.Id, wanted, cancellationToken);
                Log.NoteUpserted(logger, mergeRequest, updated.Id, NoteUpsertOutcome.Updated);
                return new NoteUpsertResult(updated, posted ? NoteUpsertOutcome.Created : NoteUpsertOutcome.Updated);
            }

            try
            {
                posted = true;
                var created = await CreateNoteAsync(mergeRequest, wanted, cancellationToken);
                Log.NoteUpserted(logger, mergeRequest, created.Id, NoteUpsertOutcome.Created);
                return new NoteUpsertResult(created, NoteUpsertOutcome.Created);
            }
            catch (GitLabApiException e) when (e.OutcomeUnknown && attempt < _options.NoteCreateAttempts)
            {
                var delay = Backoff.Exponential(attempt, _options.RetryBaseDelay, _options.MaxRetryDelay);
                Log.NoteCreateUncertain(logger, mergeRequest, attempt, e.StatusCode, delay);
                await Task.Delay(delay, timeProvider, cancellationToken);
            }
        }
    }

    public async Task<IReadOnlyList<string>> EnsureLabelsAsync(long projectId, IEnumerable<LabelDefinition> labels, CancellationToken cancellationToken)
    {
        var wanted = labels.DistinctBy(l => l.Name, StringComparer.Ordinal).ToList();
        if (wanted.Count == 0)
        {
            return [];
        }
        foreach (var label in wanted)
        {
            ValidateLabelName(label.Name, nameof(labels));
        }

        // One read of the project's labels serves every MR for the cache's time to live (GitLab:Cache); a label deleted
        // in GitLab meanwhile is created again once the list is read again.
        var existing = identity.ProjectLabels(projectId);
        if (existing is null)
        {
            existing = (await GetLabelsAsync(projectId, cancellationToken)).Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
            identity.RememberProjectLabels(projectId, existing);
        }
        var created = new List<string>();
        foreach (var label in wanted.Where(l => !existing.Contains(l.Name)))
        {
            var body = new CreateLabelBody(label.Name, label.Color, label.Description);
            var response = await SendAsync(api.CreateLabelAsync(projectId, body, retrySafe: true, cancellationToken), "POST", $"/projects/{projectId}/labels", cancellationToken, allowConflict: true);
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                // Created meanwhile (by a human, another instance, or our own earlier attempt whose answer was lost).
                Log.LabelAlreadyExists(logger, projectId, label.Name);
                continue;
            }
            Log.LabelCreated(logger, projectId, label.Name);
            created.Add(label.Name);
        }
        if (wanted.Any(l => !existing.Contains(l.Name)))
        {
            // The list no longer says what the project has: read it again next time rather than patch a shared set.
            identity.ForgetProjectLabels(projectId);
        }
        return created;
    }

    // ---- Plumbing ----------------------------------------------------------------------------

    private static string MrPath(MergeRequestRef mr) => $"/projects/{mr.ProjectId}/merge_requests/{mr.Iid}";

    private static string? JoinLabels(IReadOnlyCollection<string>? labels, string parameter)
    {
        if (labels is null || labels.Count == 0)
        {
            return null;
        }
        foreach (var label in labels)
        {
            ValidateLabelName(label, parameter);
        }
        return string.Join(',', labels.Distinct(StringComparer.Ordinal));
    }

    private static void ValidateLabelName(string name, string parameter)
    {
        // GitLab's add_labels/remove_labels are comma-separated lists: a comma would split the name.
        if (string.IsNullOrWhiteSpace(name) || name.Contains(',', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Label name '{name}' is blank or contains a comma.", parameter);
        }
    }

    private async Task<IReadOnlyList<T>> GetAllPagesAsync<T>(
        string path,
        Func<int, int, CancellationToken, Task<IApiResponse<List<T>>>> fetchPage,
        CancellationToken cancellationToken,
        int? perPage = null)
    {
        var items = new List<T>();
        var page = 1;
        for (var pages = 1; ; pages++)
        {
            var response = await SendAsync(fetchPage(page, perPage ?? _options.PerPage, cancellationToken), "GET", path, cancellationToken);
            items.AddRange(response.Content ?? []);
            var next = GitLabPaths.ParseNextPage(response.Headers?.TryGetValues("x-next-page", out var values) == true ? values.FirstOrDefault() : null);
            if (next is null)
            {
                return items;
            }
            if (next <= page || pages >= _options.MaxPages)
            {
                // A next page that goes backwards, or endless pages: stop instead of looping forever.
                throw new GitLabApiException("GET", path, null, $"pagination did not end (page {page} points to {next}, {pages} pages read)");
            }
            page = next.Value;
        }
    }

    private async Task<T> ReadAsync<T>(Task<IApiResponse<T>> call, string method, string path, CancellationToken cancellationToken)
    {
        var response = await SendAsync(call, method, path, cancellationToken);
        return response.Content ?? throw new GitLabApiException(method, path, response.StatusCode, "the response had no body");
    }

    /// <summary>Awaits one call and turns every failure into <see cref="GitLabApiException"/> (caller cancellation stays an <see cref="OperationCanceledException"/>).</summary>
    private async Task<IApiResponse<T>> SendAsync<T>(
        Task<IApiResponse<T>> call,
        string method,
        string path,
        CancellationToken cancellationToken,
        bool allowNotFound = false,
        bool allowConflict = false)
    {
        IApiResponse<T> response;
        try
        {
            response = await call;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or RateLimiterRejectedException or BrokenCircuitException or ApiExceptionBase or OperationCanceledException)
        {
            throw new GitLabApiException(method, path, null, null, null, Unwrap(e));
        }

        if (response.IsSuccessful)
        {
            return response;
        }
        if (!response.IsReceived)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new GitLabApiException(method, path, null, null, null, Unwrap(response.Error));
        }
        if ((allowNotFound && response.StatusCode == HttpStatusCode.NotFound) || (allowConflict && response.StatusCode == HttpStatusCode.Conflict))
        {
            return response;
        }
        if (response.IsSuccessStatusCode)
        {
            throw new GitLabApiException(method, path, response.StatusCode, "the response body could not be read", null, response.Error);
        }
        var content = (response.Error as ApiException)?.Content;
        var retryAfter = GitLabRetryRules.ServerDelay(response.StatusCode, response.Headers, timeProvider.GetUtcNow());
        throw new GitLabApiException(method, path, response.StatusCode, GitLabPaths.ReadErrorMessage(content), retryAfter, response.Error);
    }

    // Refit wraps transport failures; the interesting cause (timeout, dropped connection, limiter) is inside.
    private static Exception? Unwrap(Exception? e) => e is ApiRequestException { InnerException: { } inner } ? inner : e;

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "Note on {MergeRequest}: {Outcome} (note {NoteId})")]
        public static partial void NoteUpserted(ILogger logger, MergeRequestRef mergeRequest, long noteId, NoteUpsertOutcome outcome);

        [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Note create on {MergeRequest} attempt {Attempt} ended with status {Status} (outcome unknown); looking for its marker again in {Delay}")]
        public static partial void NoteCreateUncertain(ILogger logger, MergeRequestRef mergeRequest, int attempt, HttpStatusCode? status, TimeSpan delay);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Debug, Message = "Label '{Label}' already exists in project {ProjectId}")]
        public static partial void LabelAlreadyExists(ILogger logger, long projectId, string label);

        [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "Created label '{Label}' in project {ProjectId}")]
        public static partial void LabelCreated(ILogger logger, long projectId, string label);

        [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "GitLab answered 500 to the diffs of {MergeRequest} at {PerPage} per page (older GitLab versions fail above {SafePerPage} on large merge requests); reading them at {SafePerPage} per page from now on")]
        public static partial void DiffsPageSizeLowered(ILogger logger, MergeRequestRef mergeRequest, int perPage, int safePerPage);

        [LoggerMessage(EventId = 5151, Level = LogLevel.Warning, Message = "Update of {MergeRequest} attempt {Attempt} ended with status {Status}; reading it again and retrying in {Delay}")]
        public static partial void UpdateRetrying(ILogger logger, MergeRequestRef mergeRequest, int attempt, HttpStatusCode? status, TimeSpan delay);
    }
}

/// <summary>
/// The bot user, fetched once per process (it never changes while the token stays the same), what the client learned about
/// the instance, and each project's label names for <see cref="GitLabCacheOptions.TimeToLive"/>. With the caches off
/// (<see cref="GitLabCacheOptions.Enabled"/>) the user and the labels are read again every time.
/// </summary>
public sealed class GitLabIdentityCache(IOptions<GitLabCacheOptions>? options = null, TimeProvider? time = null)
{
    private readonly GitLabCacheOptions _options = options?.Value ?? new GitLabCacheOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, (IReadOnlySet<string> Names, DateTimeOffset Until)> _labels = new();
    private volatile GitLabUser? _user;
    private int _diffsPerPage;

    /// <summary>The project's label names as last read, while still trusted; null when they must be read.</summary>
    public IReadOnlySet<string>? ProjectLabels(long projectId) =>
        _options.Enabled && _labels.TryGetValue(projectId, out var entry) && _time.GetUtcNow() < entry.Until ? entry.Names : null;

    public void RememberProjectLabels(long projectId, IReadOnlySet<string> names)
    {
        if (_options.Enabled)
        {
            _labels[projectId] = (names, _time.GetUtcNow() + _options.TimeToLive);
        }
    }

    /// <summary>A write showed the list is wrong (GitLab said a label exists, or a PUT did not keep a label): read it again next time.</summary>
    public void ForgetProjectLabels(long projectId) => _labels.TryRemove(projectId, out _);

    /// <summary>The <c>/diffs</c> page size this GitLab served after refusing a larger one; null until that happened.</summary>
    public int? DiffsPerPage
    {
        get => Volatile.Read(ref _diffsPerPage) is > 0 and var size ? size : null;
        set => Volatile.Write(ref _diffsPerPage, value ?? 0);
    }

    public GitLabUser? User
    {
        get => _options.Enabled ? _user : null;
        set => _user = value;
    }

    /// <summary>A <c>GET /user</c> in flight outside the client (the start-up probe), which sets <see cref="User"/> when it answers.</summary>
    public Task? InFlightLookup { get; set; }
}
