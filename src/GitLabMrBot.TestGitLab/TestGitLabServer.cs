using System.Net;
using System.Security.Cryptography.X509Certificates;
using GitLabMrBot.TestGitLab.Api;
using GitLabMrBot.TestGitLab.Model;
using GitLabMrBot.TestGitLab.Web;
using GitLabMrBot.TestGitLab.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace GitLabMrBot.TestGitLab;

/// <summary>
/// A GitLab for tests: a real HTTP server on 127.0.0.1 that serves the subset of <c>/api/v4</c> the bot calls with
/// GitLab's semantics, keeps its state in memory, and sends GitLab-shaped webhooks after every change, the bot's own
/// API writes included. Seed it with the methods below (they act like a human in the UI), point the bot at
/// <see cref="BaseUrl"/>, then assert on <see cref="Requests"/>, <see cref="Deliveries"/> and the state readers.
/// </summary>
public sealed partial class TestGitLabServer : IAsyncDisposable
{
    private readonly Urls urls = new();
    private readonly HookDispatcher dispatcher;
    private readonly GitLabState state;
    private readonly ApiPipeline pipeline;
    private WebApplication? app;

    public TestGitLabServer(TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        dispatcher = new HookDispatcher(urls, time);
        state = new GitLabState(time, new HookPayloads(urls), dispatcher);
        dispatcher.Delivered = (hook, succeeded) =>
        {
            lock (state.Gate)
            {
                state.RecordDelivery(hook, succeeded);
            }
        };
        pipeline = new ApiPipeline(state, new GitLabApi(state, new Representations(urls)).Routes(), time);
        lock (state.Gate)
        {
            Root = new GitLabUser(state.Root.Id, state.Root.Username, state.Root.Name, state.CreateToken(state.Root));
        }
    }

    /// <summary>
    /// <c>http://127.0.0.1:port/</c> (<c>https</c> with <see cref="Certificate"/>, followed by <see cref="PathBase"/> when set):
    /// what the bot calls its GitLab URL. Available after <see cref="StartAsync"/>.
    /// </summary>
    public Uri BaseUrl { get; private set; } = new("http://127.0.0.1/");

    /// <summary><c>BaseUrl + api/v4/</c>.</summary>
    public Uri ApiUrl => new(BaseUrl, "api/v4/");

    /// <summary>
    /// GitLab's relative URL root, e.g. <c>/gitlab</c> (docs/gitlab-behaviour.md §3): the API is then at
    /// <c>/gitlab/api/v4</c>, web URLs in answers and payloads start with it, and requests outside it answer 404.
    /// Default none. Set before <see cref="StartAsync"/>.
    /// </summary>
    public string PathBase { get; init; } = "";

    /// <summary>
    /// Serves HTTPS with this certificate (it must hold its private key), as an instance behind an internal CA does.
    /// Default null: plain HTTP. Set before <see cref="StartAsync"/>.
    /// </summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The loopback port to listen on; default 0, a free one. Set before <see cref="StartAsync"/>.</summary>
    public int Port { get; init; }

    /// <summary>The instance administrator (id 1), as on a fresh GitLab.</summary>
    public GitLabUser Root { get; }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var pathBase = PathBase.Trim('/');
        if (pathBase.Length > 0 && !Uri.IsWellFormedUriString(pathBase, UriKind.Relative))
        {
            throw new InvalidOperationException($"PathBase '{PathBase}' is not a URL path.");
        }

        pipeline.PathBase = pathBase.Length == 0 ? "" : "/" + pathBase;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        if (Certificate is { } certificate)
        {
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port, listen => listen.UseHttps(certificate)));
        }
        else
        {
            builder.WebHost.UseKestrelCore().UseUrls($"http://127.0.0.1:{Port}");
        }

        builder.Services.AddRoutingCore();
        app = builder.Build();
        // GitLab's web pages of merge requests for people to look at; everything else is the API.
        var pages = new MergeRequestPages(state, () => pipeline.PathBase);
        app.Run(async context =>
        {
            if (!await pages.TryServeAsync(context))
            {
                await pipeline.HandleAsync(context);
            }
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseUrl = new Uri(address.TrimEnd('/') + pipeline.PathBase + "/");
        urls.SetRoot(BaseUrl);
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        await dispatcher.DisposeAsync();
    }

    // ---------------------------------------------------------------- seeding

    /// <summary>Adds a user with a fresh personal access token (<see cref="GitLabUser.Token"/>).</summary>
    public GitLabUser AddUser(string username, string? name = null, bool bot = false, bool admin = false)
    {
        lock (state.Gate)
        {
            var user = state.AddUser(username, name, bot, admin);
            return new GitLabUser(user.Id, user.Username, user.Name, state.CreateToken(user));
        }
    }

    /// <summary>
    /// Another personal access token for the same user, with these scopes (default <c>api</c>). As on GitLab, <c>api</c>
    /// allows everything, <c>read_api</c> only GETs, <c>read_user</c> only <c>/user</c> and <c>/version</c>; other
    /// requests answer 403 <c>insufficient_scope</c>. <c>GET /personal_access_tokens/self</c> shows the scopes.
    /// </summary>
    public string CreateToken(GitLabUser user, params string[] scopes)
    {
        lock (state.Gate)
        {
            return state.CreateToken(User(user), scopes);
        }
    }

    /// <summary>
    /// An OAuth access token of scope <c>api</c> for the user, as an OAuth application gets it. GitLab accepts it only as
    /// <c>Authorization: Bearer</c>: sent as <c>PRIVATE-TOKEN</c> it answers 401 (docs/gitlab-behaviour.md §3), and
    /// <c>GET /personal_access_tokens/self</c> answers 400 (it describes personal access tokens only).
    /// </summary>
    public string CreateOAuthToken(GitLabUser user)
    {
        lock (state.Gate)
        {
            return state.CreateOAuthToken(User(user));
        }
    }

    /// <summary>
    /// False emulates GitLab Free (CE): every <c>/groups/:id/hooks</c> route answers GitLab's unknown-route 404
    /// <c>{"error":"404 Not Found"}</c>, existing group hooks stop firing, and <c>/version</c> drops <c>-ee</c>. Default true (Premium).
    /// </summary>
    public bool GroupHooksAvailable
    {
        get
        {
            lock (state.Gate)
            {
                return state.GroupHooksAvailable;
            }
        }

        set
        {
            lock (state.Gate)
            {
                state.GroupHooksAvailable = value;
            }
        }
    }

    /// <summary>
    /// True applies GitLab's auto-disabling to failing deliveries (docs/gitlab-behaviour.md §1.6): the 4th consecutive failure disables
    /// the hook for a minute, doubling up to a day; the 40th disables it for good; a success resets it. Default false.
    /// </summary>
    public bool AutoDisableFailingHooks
    {
        get
        {
            lock (state.Gate)
            {
                return state.AutoDisableFailingHooks;
            }
        }

        set
        {
            lock (state.Gate)
            {
                state.AutoDisableFailingHooks = value;
            }
        }
    }

    /// <summary>Sets what <c>GET /users/:id/status</c> returns (<c>availability</c> is <c>not_set</c> or <c>busy</c>).</summary>
    public void SetUserStatus(GitLabUser user, string availability, string message = "", string emoji = "")
    {
        lock (state.Gate)
        {
            var u = User(user);
            (u.Availability, u.StatusMessage, u.StatusEmoji) = (availability, message, emoji);
        }
    }

    /// <summary>Blocks the user: its tokens stop working (401) and its <c>state</c> reads <c>blocked</c>.</summary>
    public void BlockUser(GitLabUser user)
    {
        lock (state.Gate)
        {
            User(user).State = "blocked";
        }
    }

    /// <summary>Adds a group (and its missing parents) by full path, e.g. <c>acme/platform</c>.</summary>
    public GitLabGroup AddGroup(string fullPath)
    {
        lock (state.Gate)
        {
            var g = state.AddGroup(fullPath);
            return new GitLabGroup(g.Id, g.FullPath);
        }
    }

    /// <summary>Adds a project (and its groups) with an initial commit on <paramref name="defaultBranch"/> holding <paramref name="files"/> (default: a README).</summary>
    public GitLabProject AddProject(string pathWithNamespace, string defaultBranch = "main", IReadOnlyDictionary<string, string>? files = null)
    {
        lock (state.Gate)
        {
            var p = state.AddProject(pathWithNamespace, defaultBranch, files);
            return new GitLabProject(p.Id, p.PathWithNamespace);
        }
    }

    public void AddMember(GitLabProject project, GitLabUser user, AccessLevel level)
    {
        lock (state.Gate)
        {
            Project(project).Members[User(user).Id] = level;
        }
    }

    public void AddMember(GitLabGroup group, GitLabUser user, AccessLevel level)
    {
        lock (state.Gate)
        {
            Group(group).Members[User(user).Id] = level;
        }
    }

    public LabelView AddLabel(GitLabProject project, string name, string color = GitLabState.DefaultLabelColor, string description = "")
    {
        lock (state.Gate)
        {
            var l = state.AddLabel(Project(project), name, color, description);
            return new LabelView(l.Id, l.Name, l.Color, l.Description);
        }
    }

    /// <summary>Registers a project hook; <paramref name="token"/> is sent as <c>X-Gitlab-Token</c>.</summary>
    public GitLabHook AddHook(GitLabProject project, Uri url, string? token = null, HookEvents? events = null, bool enableSslVerification = true)
    {
        lock (state.Gate)
        {
            var h = state.AddHook(url.ToString(), token, Project(project), null, events ?? HookEvents.All, enableSslVerification);
            return new GitLabHook(h.Id, h.Url);
        }
    }

    /// <summary>Registers a group hook: it fires for every project in the group and its subgroups.</summary>
    public GitLabHook AddHook(GitLabGroup group, Uri url, string? token = null, HookEvents? events = null, bool enableSslVerification = true)
    {
        lock (state.Gate)
        {
            var h = state.AddHook(url.ToString(), token, null, Group(group), events ?? HookEvents.All, enableSslVerification);
            return new GitLabHook(h.Id, h.Url);
        }
    }

    /// <summary>
    /// Puts the hook in GitLab's auto-disabled state as if its deliveries had kept failing: for
    /// <paramref name="temporarilyFor"/> (<c>alert_status</c> <c>temporarily_disabled</c>, <c>disabled_until</c> set),
    /// or, when null, permanently (<c>disabled</c>). A disabled hook does not fire.
    /// </summary>
    public void DisableHook(GitLabHook hook, TimeSpan? temporarilyFor = null)
    {
        lock (state.Gate)
        {
            var h = state.Hooks.Find(x => x.Id == hook.Id) ?? throw new ArgumentException($"Unknown hook {hook.Id}.", nameof(hook));
            if (temporarilyFor is { } duration)
            {
                (h.RecentFailures, h.DisabledUntil) = (HookEntity.TemporarilyDisabledFailureThreshold + 1, state.Now + duration);
            }
            else
            {
                (h.RecentFailures, h.DisabledUntil) = (HookEntity.PermanentlyDisabledFailureThreshold + 1, null);
            }
        }
    }

    /// <summary>
    /// Pushes one commit to <paramref name="branch"/> (created from <paramref name="startFrom"/>, default the default
    /// branch, when new). A null file text deletes the file. Fires a Push Hook, then refreshes open MRs from that branch
    /// (system note "added 1 commit", Merge Request Hook <c>update</c> with <c>oldrev</c>). Returns the new commit sha.
    /// </summary>
    public string Push(GitLabUser actor, GitLabProject project, string branch, IReadOnlyDictionary<string, string?> files, string? message = null, string? startFrom = null)
    {
        lock (state.Gate)
        {
            return state.Push(User(actor), Project(project), branch, message ?? $"Update {string.Join(", ", files.Keys)}", files, startFrom, new EventScope(null)).Sha;
        }
    }

    /// <summary>
    /// Opens a merge request as <paramref name="author"/> would in the UI. With <paramref name="files"/>, first pushes
    /// them as one commit to <paramref name="sourceBranch"/> (created from the target branch), so the MR's diffs are
    /// exactly those files. Fires the Push Hook, then the Merge Request Hook with <c>action: open</c>.
    /// </summary>
    public GitLabMergeRequest OpenMergeRequest(
        GitLabProject project,
        GitLabUser author,
        string title,
        string sourceBranch,
        string? targetBranch = null,
        IReadOnlyDictionary<string, string?>? files = null,
        string description = "",
        IReadOnlyList<string>? labels = null,
        IReadOnlyList<GitLabUser>? assignees = null,
        IReadOnlyList<GitLabUser>? reviewers = null)
    {
        lock (state.Gate)
        {
            var p = Project(project);
            var target = targetBranch ?? p.DefaultBranch;
            var scope = new EventScope(null);
            if (files is not null)
            {
                state.Push(User(author), p, sourceBranch, title, files, target, scope);
            }

            var mr = state.OpenMergeRequest(
                User(author), p, title, sourceBranch, target, description, labels ?? [],
                [.. (assignees ?? []).Select(User)], [.. (reviewers ?? []).Select(User)], scope);
            return new GitLabMergeRequest(p.Id, mr.Iid, mr.Id);
        }
    }

    /// <summary>Edits a merge request as <paramref name="actor"/> in the UI: same rules, system notes, label events and webhooks as the API.</summary>
    public void UpdateMergeRequest(GitLabUser actor, GitLabMergeRequest mergeRequest, MergeRequestUpdate update)
    {
        lock (state.Gate)
        {
            state.UpdateMergeRequest(User(actor), state.RequireMergeRequest(mergeRequest), new MergeRequestChange
            {
                Title = update.Title,
                Description = update.Description,
                Draft = update.Draft,
                Labels = update.Labels,
                AddLabels = update.AddLabels,
                RemoveLabels = update.RemoveLabels,
                Assignees = update.Assignees?.Select(User).ToList(),
                Reviewers = update.Reviewers?.Select(User).ToList(),
                StateEvent = update.StateEvent,
            }, new EventScope(null));
        }
    }

    /// <summary>Merges the MR into its target branch (Push Hook for the target, Merge Request Hook <c>merge</c>).</summary>
    public void Merge(GitLabUser actor, GitLabMergeRequest mergeRequest)
    {
        lock (state.Gate)
        {
            state.Merge(User(actor), state.RequireMergeRequest(mergeRequest), new EventScope(null));
        }
    }

    /// <summary>Comments on the MR as <paramref name="author"/> (Note Hook).</summary>
    public NoteView AddNote(GitLabUser author, GitLabMergeRequest mergeRequest, string body)
    {
        lock (state.Gate)
        {
            return View(state.AddNote(User(author), state.RequireMergeRequest(mergeRequest), body, false, new EventScope(null)));
        }
    }

    /// <summary>
    /// Comments on the MR as <paramref name="author"/> in an internal thread ("Make this an internal note"): only hooks
    /// with <c>confidential_note_events</c> receive it, as <c>Confidential Note Hook</c>.
    /// </summary>
    public NoteView AddInternalNote(GitLabUser author, GitLabMergeRequest mergeRequest, string body)
    {
        lock (state.Gate)
        {
            return View(state.AddNote(User(author), state.RequireMergeRequest(mergeRequest), body, true, new EventScope(null)));
        }
    }

    /// <summary>
    /// The state of GitLab's asynchronous git check. <c>unchecked</c>, <c>checking</c> or <c>preparing</c> while it runs:
    /// <c>detailed_merge_status</c> reports that before any other check, and <c>has_conflicts</c> reads false meanwhile.
    /// Null or <c>mergeable</c> once it is done, with <paramref name="hasConflicts"/> its verdict (<c>conflict</c>, if no earlier
    /// check fails). Any other value is a failing check the emulator does not model (e.g. <c>discussions_not_resolved</c>),
    /// placed before the conflict and rebase checks. The computed checks (<c>need_rebase</c>, <c>draft_status</c>…) cannot be
    /// forced: use <see cref="SetMergeMethod"/>, pushes, drafts and <see cref="RequireApprovals"/>. No webhook: GitLab sends none either.
    /// </summary>
    public void SetMergeStatus(GitLabMergeRequest mergeRequest, string? detailedMergeStatus, bool hasConflicts = false)
    {
        if (detailedMergeStatus is not null && Mergeability.ComputedChecks.Contains(detailedMergeStatus))
        {
            throw new ArgumentException($"'{detailedMergeStatus}' is computed from the MR and its project, not set.", nameof(detailedMergeStatus));
        }

        lock (state.Gate)
        {
            var mr = state.RequireMergeRequest(mergeRequest);
            (mr.MergeStatusOverride, mr.HasConflicts) = (detailedMergeStatus, hasConflicts);
        }
    }

    // ---------------------------------------------------------------- reading state

    public MergeRequestView GetMergeRequest(GitLabMergeRequest mergeRequest)
    {
        lock (state.Gate)
        {
            var m = state.RequireMergeRequest(mergeRequest);
            return new MergeRequestView(
                m.Id, m.Iid, m.Project.Id, m.Title, m.Description, m.State, m.Draft, m.SourceBranch, m.TargetBranch, m.Author.Username,
                [.. m.Labels.Select(l => l.Name)], [.. m.Assignees.Select(u => u.Username)], [.. m.Reviewers.Select(u => u.Username)],
                m.Sha, m.DetailedMergeStatus, Mergeability.CannotBeMerged(m), m.CreatedAt, m.UpdatedAt);
        }
    }

    /// <summary>All notes, oldest first, system notes included.</summary>
    public IReadOnlyList<NoteView> GetNotes(GitLabMergeRequest mergeRequest)
    {
        lock (state.Gate)
        {
            return [.. state.RequireMergeRequest(mergeRequest).Notes.Select(View)];
        }
    }

    public IReadOnlyList<LabelEventView> GetLabelEvents(GitLabMergeRequest mergeRequest)
    {
        lock (state.Gate)
        {
            return [.. state.RequireMergeRequest(mergeRequest).LabelEvents.Select(e => new LabelEventView(e.Id, e.User.Username, e.Label.Name, e.Action, e.CreatedAt))];
        }
    }

    public IReadOnlyList<LabelView> GetLabels(GitLabProject project)
    {
        lock (state.Gate)
        {
            return [.. Project(project).Labels.Select(l => new LabelView(l.Id, l.Name, l.Color, l.Description))];
        }
    }

    /// <summary>Every project and group hook, by id.</summary>
    public IReadOnlyList<HookView> GetHooks()
    {
        lock (state.Gate)
        {
            var now = state.Now;
            return [.. state.Hooks.OrderBy(h => h.Id).Select(h => new HookView(
                h.Id, h.Url, h.Token, h.Project?.PathWithNamespace, h.Group?.FullPath, h.Events, h.EnableSslVerification,
                h.AlertStatus(now), h.DisabledUntil, h.RecentFailures))];
        }
    }

    public IReadOnlyList<FileDiff> GetDiffs(GitLabMergeRequest mergeRequest)
    {
        lock (state.Gate)
        {
            return state.Diffs(state.RequireMergeRequest(mergeRequest));
        }
    }

    // ---------------------------------------------------------------- observability

    /// <summary>Every API request received, in arrival order of completion, faulted ones included.</summary>
    public IReadOnlyList<RecordedRequest> Requests => pipeline.Requests;

    /// <summary>Non-GET requests.</summary>
    public IReadOnlyList<RecordedRequest> Writes => [.. Requests.Where(r => r.IsWrite)];

    /// <summary>Readable strings of every request, e.g. <c>PUT /projects/1/merge_requests/2 add_labels=frontend,size::S</c>.</summary>
    public IReadOnlyList<string> Actions => [.. Requests.Select(r => r.Action)];

    public void ClearRequests() => pipeline.ClearRequests();

    /// <summary>Webhook requests sent so far, in send order, with the receiver's status.</summary>
    public IReadOnlyList<WebhookDelivery> Deliveries => dispatcher.Deliveries;

    /// <summary>Deliveries GitLab's recursion detection suppressed.</summary>
    public IReadOnlyList<BlockedDelivery> BlockedDeliveries => dispatcher.Blocked;

    /// <summary>Completes when every webhook triggered so far has been sent and answered (or failed).</summary>
    public Task WaitForDeliveriesAsync(TimeSpan? timeout = null) => dispatcher.WhenIdle().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));

    // ---------------------------------------------------------------- faults

    /// <summary>
    /// Makes the next <paramref name="times"/> requests matching <paramref name="method"/> (or <c>*</c>) and
    /// <paramref name="pathPattern"/> (relative to <c>/api/v4</c>; <c>*</c> or <c>:name</c> = one segment, <c>**</c> = the rest)
    /// fail with <paramref name="fault"/>. Rules are tried in the order added.
    /// </summary>
    public FaultRule InjectFault(string method, string pathPattern, Fault fault, int times = 1) => pipeline.AddFault(method, pathPattern, fault, times);

    public void ClearFaults() => pipeline.ClearFaults();

    // ---------------------------------------------------------------- helpers

    private UserEntity User(GitLabUser user) => state.Users.Find(u => u.Id == user.Id) ?? throw new ArgumentException($"Unknown user {user.Username}.", nameof(user));

    private ProjectEntity Project(GitLabProject project) => state.Projects.Find(p => p.Id == project.Id) ?? throw new ArgumentException($"Unknown project {project.PathWithNamespace}.", nameof(project));

    private GroupEntity Group(GitLabGroup group) => state.Groups.Find(g => g.Id == group.Id) ?? throw new ArgumentException($"Unknown group {group.FullPath}.", nameof(group));

    private static NoteView View(NoteEntity n) => new(n.Id, n.Author.Username, n.Body, n.System, n.CreatedAt, n.UpdatedAt);
}
