using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GitLabMrBot.TestGitLab.Webhooks;

namespace GitLabMrBot.TestGitLab.Model;

/// <summary>A merge request change in the emulator's own terms (users resolved), shared by the API and the seeding API.</summary>
internal sealed record MergeRequestChange
{
    public string? Title { get; init; }
    public string? Description { get; init; }
    public bool? Draft { get; init; }
    public IReadOnlyList<string>? Labels { get; init; }
    public IReadOnlyList<string>? AddLabels { get; init; }
    public IReadOnlyList<string>? RemoveLabels { get; init; }
    public IReadOnlyList<UserEntity>? Assignees { get; init; }
    public IReadOnlyList<UserEntity>? Reviewers { get; init; }
    public string? StateEvent { get; init; }
}

/// <summary>
/// The in-memory GitLab: every mutation goes through here, under <see cref="Gate"/>, and produces what GitLab would
/// (system notes, resource label events, webhooks), whether a human made it through the UI or a client through the API.
/// </summary>
internal sealed partial class GitLabState
{
    public const string DefaultLabelColor = "#6699cc";
    public const string ZeroSha = "0000000000000000000000000000000000000000";

    private readonly TimeProvider time;
    private readonly HookPayloads payloads;
    private readonly HookDispatcher dispatcher;
    private readonly Dictionary<(string, string), IReadOnlyList<FileDiff>> diffCache = [];
    private int nextUserId = 1;
    private int nextGroupId = 1;
    private int nextProjectId = 1;
    private int nextMergeRequestId = 1;
    private int nextNoteId = 1;
    private int nextLabelId = 1;
    private int nextLabelEventId = 1;
    private int nextHookId = 1;
    private int nextTokenId = 1;
    private long commitCounter;

    public GitLabState(TimeProvider time, HookPayloads payloads, HookDispatcher dispatcher)
    {
        this.time = time;
        this.payloads = payloads;
        this.dispatcher = dispatcher;
        Root = AddUser("root", "Administrator", bot: false, admin: true);
    }

    public Lock Gate { get; } = new();
    public UserEntity Root { get; }
    public Dictionary<string, UserEntity> Tokens { get; } = new(StringComparer.Ordinal);
    public List<UserEntity> Users { get; } = [];
    public List<GroupEntity> Groups { get; } = [];
    public List<ProjectEntity> Projects { get; } = [];
    public List<HookEntity> Hooks { get; } = [];
    public Dictionary<string, TokenEntity> TokenDetails { get; } = new(StringComparer.Ordinal);

    /// <summary>OAuth access tokens (Doorkeeper): accepted only as <c>Authorization: Bearer</c>, never as <c>PRIVATE-TOKEN</c>.</summary>
    public Dictionary<string, UserEntity> OAuthTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>False emulates GitLab Free (CE): the group hooks API does not exist and group hooks never fire.</summary>
    public bool GroupHooksAvailable { get; set; } = true;

    /// <summary>Diff limits, the 18.4 diff flags, collapsing and the /diffs page size fault (StoredDiffs).</summary>
    public DiffSettings DiffSettings { get; set; } = new();

    /// <summary>Applies GitLab's auto-disabling of failing hooks (off by default, as for project hooks on Self-Managed).</summary>
    public bool AutoDisableFailingHooks { get; set; }

    public DateTimeOffset Now => time.GetUtcNow();

    // ---- lookups ----

    public UserEntity? FindUser(string idOrUsername) =>
        int.TryParse(idOrUsername, out var id)
            ? Users.Find(u => u.Id == id)
            : Users.Find(u => u.Username.Equals(idOrUsername, StringComparison.OrdinalIgnoreCase));

    public ProjectEntity? FindProject(string idOrPath) =>
        int.TryParse(idOrPath, out var id)
            ? Projects.Find(p => p.Id == id)
            : Projects.Find(p => p.PathWithNamespace.Equals(idOrPath, StringComparison.OrdinalIgnoreCase));

    public GroupEntity? FindGroup(string idOrPath) =>
        int.TryParse(idOrPath, out var id)
            ? Groups.Find(g => g.Id == id)
            : Groups.Find(g => g.FullPath.Equals(idOrPath, StringComparison.OrdinalIgnoreCase));

    public MergeRequestEntity RequireMergeRequest(GitLabMergeRequest mr) =>
        Projects.Find(p => p.Id == mr.ProjectId)?.MergeRequests.Find(m => m.Iid == mr.Iid)
        ?? throw new ArgumentException($"No merge request !{mr.Iid} in project {mr.ProjectId}.", nameof(mr));

    /// <summary>Highest access level from the project and its ancestor groups (what <c>members/all</c> reports).</summary>
    public AccessLevel AccessOf(UserEntity user, ProjectEntity project)
    {
        var levels = project.Namespace.SelfAndAncestors()
            .Select(g => g.Members.GetValueOrDefault(user.Id))
            .Append(project.Members.GetValueOrDefault(user.Id));
        return user.Admin ? AccessLevel.Owner : levels.Max();
    }

    public IEnumerable<(UserEntity User, AccessLevel Level)> AllMembers(IEnumerable<Dictionary<int, AccessLevel>> sources) =>
        sources.SelectMany(s => s)
            .GroupBy(kv => kv.Key)
            .Select(g => (Users.Single(u => u.Id == g.Key), g.Max(kv => kv.Value)))
            .OrderBy(m => m.Item1.Id);

    // ---- seeding ----

    public UserEntity AddUser(string username, string? name, bool bot, bool admin)
    {
        if (Users.Any(u => u.Username.Equals(username, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"User {username} already exists.", nameof(username));
        }

        var user = new UserEntity { Id = nextUserId++, Username = username, Name = name ?? Capitalize(username), Bot = bot, Admin = admin, CreatedAt = Now };
        Users.Add(user);
        return user;
    }

    public string CreateToken(UserEntity user, IReadOnlyList<string>? scopes = null)
    {
        var token = $"glpat-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10))}";
        Tokens[token] = user;
        var id = nextTokenId++;
        TokenDetails[token] = new TokenEntity
        {
            Id = id,
            Name = $"token-{id}",
            User = user,
            Scopes = scopes is { Count: > 0 } ? [.. scopes] : ["api"],
            CreatedAt = Now,
        };
        return token;
    }

    /// <summary>An OAuth access token of scope <c>api</c>, as an OAuth application receives it (64 hex characters, no prefix).</summary>
    public string CreateOAuthToken(UserEntity user)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        OAuthTokens[token] = user;
        return token;
    }

    /// <summary>Highest access level from the group and its ancestors; administrators count as Owner.</summary>
    public AccessLevel AccessOf(UserEntity user, GroupEntity group) =>
        user.Admin ? AccessLevel.Owner : group.SelfAndAncestors().Select(g => g.Members.GetValueOrDefault(user.Id)).Max();

    /// <summary>The group and every subgroup below it.</summary>
    public IEnumerable<GroupEntity> SelfAndDescendants(GroupEntity group) =>
        Groups.Where(g => g.SelfAndAncestors().Any(a => a.Id == group.Id));

    public GroupEntity AddGroup(string fullPath)
    {
        if (FindGroup(fullPath) is { } existing)
        {
            return existing;
        }

        var slash = fullPath.LastIndexOf('/');
        var parent = slash < 0 ? null : AddGroup(fullPath[..slash]);
        var name = fullPath[(slash + 1)..];
        var group = new GroupEntity { Id = nextGroupId++, FullPath = fullPath, Name = Capitalize(name), Parent = parent };
        Groups.Add(group);
        return group;
    }

    public ProjectEntity AddProject(string pathWithNamespace, string defaultBranch, IReadOnlyDictionary<string, string>? files)
    {
        var slash = pathWithNamespace.LastIndexOf('/');
        if (slash <= 0 || FindProject(pathWithNamespace) is not null)
        {
            throw new ArgumentException($"Project path must be new and of the form group/project: {pathWithNamespace}", nameof(pathWithNamespace));
        }

        var project = new ProjectEntity
        {
            Id = nextProjectId++,
            Path = pathWithNamespace[(slash + 1)..],
            Namespace = AddGroup(pathWithNamespace[..slash]),
            DefaultBranch = defaultBranch,
            CreatedAt = Now,
        };
        Projects.Add(project);
        var initial = files ?? new Dictionary<string, string> { ["README.md"] = $"# {project.Path}\n" };
        var commit = NewCommit(project, null, "Initial commit", Root, initial.ToImmutableSortedDictionary(StringComparer.Ordinal), [.. initial.Keys], [], []);
        project.Branches[defaultBranch] = commit.Sha;
        return project;
    }

    public LabelEntity AddLabel(ProjectEntity project, string name, string color, string description)
    {
        var label = new LabelEntity { Id = nextLabelId++, ProjectId = project.Id, Name = name, Color = color, Description = description, CreatedAt = Now };
        project.Labels.Add(label);
        return label;
    }

    public bool DeleteLabel(ProjectEntity project, string name)
    {
        var label = project.Labels.Find(l => l.Name == name);
        if (label is null)
        {
            return false;
        }
        project.Labels.Remove(label);
        foreach (var mr in project.MergeRequests)
        {
            mr.Labels.Remove(label);
        }
        return true;
    }

    public HookEntity AddHook(string url, string? token, ProjectEntity? project, GroupEntity? group, HookEvents events, bool enableSslVerification = true)
    {
        var hook = new HookEntity
        {
            Id = nextHookId++, Url = url, Token = token, Project = project, Group = group, Events = events,
            EnableSslVerification = enableSslVerification, CreatedAt = Now,
        };
        Hooks.Add(hook);
        return hook;
    }

    /// <summary>What GitLab records after each delivery attempt (WebHooks::AutoDisabling#backoff! / #enable!).</summary>
    public void RecordDelivery(HookEntity hook, bool succeeded)
    {
        if (succeeded)
        {
            hook.RecordSuccess();
        }
        else if (AutoDisableFailingHooks)
        {
            hook.RecordFailure(Now);
        }
    }

    // ---- repository ----

    /// <summary>A branch, a commit sha (or its prefix of 7+), or <c>HEAD</c>: a GitLab repository's HEAD names its default branch.</summary>
    public CommitEntity? FindCommit(ProjectEntity project, string refName) =>
        refName == "HEAD" ? FindCommit(project, project.DefaultBranch)
        : project.Branches.TryGetValue(refName, out var sha) ? project.Commits[sha]
        : project.Commits.TryGetValue(refName, out var c) ? c
        : project.Commits.Values.FirstOrDefault(c => refName.Length >= 7 && c.Sha.StartsWith(refName, StringComparison.Ordinal));

    private CommitEntity NewCommit(
        ProjectEntity project, string? parent, string message, UserEntity author, ImmutableSortedDictionary<string, string> files,
        IReadOnlyList<string> added, IReadOnlyList<string> modified, IReadOnlyList<string> removed)
    {
        var seed = $"{project.Id}\n{parent}\n{message}\n{++commitCounter}";
        var commit = new CommitEntity
        {
            // Any unique 40-hex id will do; git hashes content, the emulator only needs stable distinct shas.
            Sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)))[..40],
            ParentSha = parent,
            Message = message,
            Author = author,
            CreatedAt = Now,
            Files = files,
            Added = added,
            Modified = modified,
            Removed = removed,
        };
        project.Commits[commit.Sha] = commit;
        return commit;
    }

    /// <summary>A <c>git push</c> of one commit: the Push Hook, then the refresh of open MRs from that branch.</summary>
    public CommitEntity Push(
        UserEntity actor, ProjectEntity project, string branch, string message, IReadOnlyDictionary<string, string?> changes,
        string? startFrom, EventScope scope)
    {
        var existing = project.Branches.TryGetValue(branch, out var head);
        var parentSha = existing ? head! : project.Branches.GetValueOrDefault(startFrom ?? project.DefaultBranch)
            ?? throw new ArgumentException($"No branch {startFrom ?? project.DefaultBranch} to start {branch} from.", nameof(startFrom));
        var parent = project.Commits[parentSha];
        var files = parent.Files.ToBuilder();
        List<string> added = [], modified = [], removed = [];
        foreach (var (path, text) in changes)
        {
            if (text is null)
            {
                if (files.Remove(path))
                {
                    removed.Add(path);
                }
            }
            else
            {
                (files.ContainsKey(path) ? modified : added).Add(path);
                files[path] = text;
            }
        }

        var commit = NewCommit(project, parentSha, message, actor, files.ToImmutable(), added, modified, removed);
        project.Branches[branch] = commit.Sha;
        Fire(project, h => h.Events.Push, HookPayloads.PushHook,
            payloads.Push(project, actor, branch, existing ? parentSha : ZeroSha, commit.Sha, [commit]), scope);

        foreach (var mr in project.MergeRequests.Where(m => m.State == "opened" && m.SourceBranch == branch).ToList())
        {
            var oldRev = mr.Sha;
            var previousUpdatedAt = mr.UpdatedAt;
            mr.Sha = commit.Sha;
            mr.BaseSha = MergeBase(project, mr.SourceBranch, mr.TargetBranch);
            mr.UpdatedAt = Now;
            AddSystemNote(mr, actor, $"added 1 commit\n\n<ul><li>{commit.Sha[..8]} - {commit.Title}</li></ul>");
            var changesJson = new JsonObject { ["updated_at"] = Change(HookPayloads.UtcTime(previousUpdatedAt), HookPayloads.UtcTime(mr.UpdatedAt)) };
            FireMergeRequest(mr, actor, "update", changesJson, scope, oldRev);
        }

        return commit;
    }

    public string MergeBase(ProjectEntity project, string source, string target)
    {
        var targetAncestors = new HashSet<string>(StringComparer.Ordinal);
        for (var c = project.Commits[project.Branches[target]]; c is not null; c = c.ParentSha is null ? null : project.Commits[c.ParentSha])
        {
            targetAncestors.Add(c.Sha);
        }

        for (var c = project.Commits[project.Branches[source]]; c is not null; c = c.ParentSha is null ? null : project.Commits[c.ParentSha])
        {
            if (targetAncestors.Contains(c.Sha))
            {
                return c.Sha;
            }
        }

        return project.Branches[target];
    }

    public IReadOnlyList<FileDiff> Diffs(MergeRequestEntity mr)
    {
        if (diffCache.TryGetValue((mr.BaseSha, mr.Sha), out var cached))
        {
            return cached;
        }

        var before = mr.Project.Commits[mr.BaseSha].Files;
        var after = mr.Project.Commits[mr.Sha].Files;
        var diffs = before.Keys.Union(after.Keys).Order(StringComparer.Ordinal)
            .Where(path => before.GetValueOrDefault(path) != after.GetValueOrDefault(path))
            .Select(path => TextDiff.Compare(path, before.GetValueOrDefault(path), after.GetValueOrDefault(path)))
            .ToList();
        diffCache[(mr.BaseSha, mr.Sha)] = diffs;
        return diffs;
    }

    /// <summary>The MR's diff as GitLab stores it under the instance's diff limits: what <c>/diffs</c> and <c>changes_count</c> report.</summary>
    public StoredDiffs StoredDiffs(MergeRequestEntity mr) => Model.StoredDiffs.Collect(Diffs(mr), DiffSettings);

    public IReadOnlyList<CommitEntity> MergeRequestCommits(MergeRequestEntity mr)
    {
        var list = new List<CommitEntity>();
        for (var c = mr.Project.Commits[mr.Sha]; c.Sha != mr.BaseSha && c.ParentSha is not null; c = mr.Project.Commits[c.ParentSha])
        {
            list.Add(c);
        }

        return list;
    }

    // ---- merge requests ----

    public MergeRequestEntity OpenMergeRequest(
        UserEntity author, ProjectEntity project, string title, string source, string target, string description,
        IReadOnlyList<string> labels, IReadOnlyList<UserEntity> assignees, IReadOnlyList<UserEntity> reviewers, EventScope scope)
    {
        if (!project.Branches.TryGetValue(source, out var sourceHead) || !project.Branches.ContainsKey(target))
        {
            throw new ArgumentException($"Both branches must exist: {source} → {target}.", nameof(source));
        }

        var now = Now;
        var mr = new MergeRequestEntity
        {
            Id = nextMergeRequestId++,
            Iid = project.MergeRequests.Count + 1,
            Project = project,
            Author = author,
            Title = title,
            Description = description,
            SourceBranch = source,
            TargetBranch = target,
            Sha = sourceHead,
            BaseSha = MergeBase(project, source, target),
            CreatedAt = now,
            UpdatedAt = now,
        };
        project.MergeRequests.Add(mr);
        var (added, _) = ApplyLabels(mr, author, [.. labels], labels, []);
        assignees = KeepAllowedPeople(assignees)!;
        reviewers = KeepAllowedPeople(reviewers)!;
        mr.Assignees.AddRange(assignees);
        mr.Reviewers.AddRange(reviewers);

        // An open event's changes list the new record's columns going from nothing to their first value.
        var changes = new JsonObject
        {
            ["author_id"] = Change(null, author.Id),
            ["created_at"] = Change(null, HookPayloads.UtcTime(now)),
            ["description"] = Change(null, description),
            ["id"] = Change(null, mr.Id),
            ["iid"] = Change(null, mr.Iid),
            ["source_branch"] = Change(null, source),
            ["source_project_id"] = Change(null, project.Id),
            ["target_branch"] = Change(null, target),
            ["target_project_id"] = Change(null, project.Id),
            ["title"] = Change(null, title),
            ["updated_at"] = Change(null, HookPayloads.UtcTime(now)),
        };
        if (added.Count > 0)
        {
            changes["labels"] = Change(new JsonArray(), payloads.Labels(mr.Labels));
        }

        if (assignees.Count > 0)
        {
            changes["assignees"] = Change(new JsonArray(), payloads.Users(assignees));
        }

        if (reviewers.Count > 0)
        {
            changes["reviewers"] = Change(new JsonArray(), payloads.Users(reviewers));
        }

        FireMergeRequest(mr, author, "open", changes, scope);
        return mr;
    }

    /// <summary>
    /// GitLab's MergeRequests::UpdateService in miniature. Like GitLab, a successful update fires a Merge Request Hook
    /// even when nothing changed (then <c>changes</c> is empty).
    /// </summary>
    public void UpdateMergeRequest(UserEntity actor, MergeRequestEntity mr, MergeRequestChange change, EventScope scope)
    {
        var now = Now;
        var old = (mr.Title, mr.Description, mr.Draft, Labels: mr.Labels.ToList(), Assignees: mr.Assignees.ToList(),
            Reviewers: mr.Reviewers.ToList(), mr.State, mr.StateId, mr.UpdatedAt, mr.UpdatedBy, mr.LastEditedAt, mr.LastEditedBy);
        var changes = new JsonObject();

        var title = change.Title ?? mr.Title;
        if (change.Draft is { } draft)
        {
            title = DraftTitle.Apply(title, draft);
        }

        mr.Title = title;
        mr.Description = change.Description ?? mr.Description;

        if (change.Labels is not null || change.AddLabels is not null || change.RemoveLabels is not null)
        {
            var names = (change.Labels ?? mr.Labels.Select(l => l.Name)).ToList();
            foreach (var add in change.AddLabels ?? [])
            {
                if (!names.Contains(add, StringComparer.Ordinal))
                {
                    names.Add(add);
                }
            }

            names.RemoveAll(n => change.RemoveLabels?.Contains(n, StringComparer.Ordinal) == true);
            ApplyLabels(mr, actor, names, names.Where(n => !old.Labels.Any(l => l.Name == n)).ToList(), old.Labels);
        }

        if (KeepAllowedPeople(change.Assignees) is { } assignees)
        {
            mr.Assignees.Clear();
            mr.Assignees.AddRange(assignees.Distinct());
        }

        if (KeepAllowedPeople(change.Reviewers) is { } reviewers)
        {
            mr.Reviewers.Clear();
            mr.Reviewers.AddRange(reviewers.Distinct());
        }

        var action = "update";
        if (change.StateEvent == "close" && mr.State == "opened")
        {
            (mr.State, mr.ClosedAt, mr.ClosedBy, action) = ("closed", now, actor, "close");
        }
        else if (change.StateEvent == "reopen" && mr.State == "closed")
        {
            (mr.State, mr.ClosedAt, mr.ClosedBy, action) = ("opened", null, null, "reopen");
        }

        // System notes and changes, in the order GitLab writes them.
        if (mr.Title != old.Title)
        {
            changes["title"] = Change(old.Title, mr.Title);
            if (DraftTitle.Strip(mr.Title) != DraftTitle.Strip(old.Title))
            {
                AddSystemNote(mr, actor, $"changed title from **{old.Title}** to **{mr.Title}**");
            }
        }

        if (mr.Draft != old.Draft)
        {
            changes["draft"] = Change(old.Draft, mr.Draft);
            AddSystemNote(mr, actor, mr.Draft ? "marked this merge request as **draft**" : "marked this merge request as **ready**");
        }

        if (mr.Description != old.Description)
        {
            changes["description"] = Change(old.Description, mr.Description);
            AddSystemNote(mr, actor, "changed the description");
        }

        if (!mr.Labels.SequenceEqual(old.Labels))
        {
            changes["labels"] = Change(payloads.Labels(old.Labels), payloads.Labels(mr.Labels));
        }

        if (!mr.Assignees.SequenceEqual(old.Assignees))
        {
            changes["assignees"] = Change(payloads.Users(old.Assignees), payloads.Users(mr.Assignees));
            AddSystemNote(mr, actor, AssigneeNote(old.Assignees, mr.Assignees));
        }

        if (!mr.Reviewers.SequenceEqual(old.Reviewers))
        {
            changes["reviewers"] = Change(payloads.Users(old.Reviewers), payloads.Users(mr.Reviewers));
            AddSystemNote(mr, actor, ReviewerNote(old.Reviewers, mr.Reviewers));
        }

        if (mr.State != old.State)
        {
            changes["state_id"] = Change(old.StateId, mr.StateId);
            AddSystemNote(mr, actor, mr.State == "closed" ? "closed" : "reopened");
        }

        if (changes.Count > 0)
        {
            mr.UpdatedAt = now;
            mr.UpdatedBy = actor;
            changes["updated_at"] = Change(HookPayloads.UtcTime(old.UpdatedAt), HookPayloads.UtcTime(now));
            if (old.UpdatedBy != actor)
            {
                changes["updated_by_id"] = Change(old.UpdatedBy?.Id, actor.Id);
            }

            if (mr.Title != old.Title || mr.Description != old.Description)
            {
                mr.LastEditedAt = now;
                mr.LastEditedBy = actor;
                changes["last_edited_at"] = Change(old.LastEditedAt is { } e ? HookPayloads.UtcTime(e) : null, HookPayloads.UtcTime(now));
                if (old.LastEditedBy != actor)
                {
                    changes["last_edited_by_id"] = Change(old.LastEditedBy?.Id, actor.Id);
                }
            }
        }

        FireMergeRequest(mr, actor, action, changes, scope);
    }

    public void Merge(UserEntity actor, MergeRequestEntity mr, EventScope scope)
    {
        if (mr.State != "opened")
        {
            throw new InvalidOperationException($"Merge request !{mr.Iid} is {mr.State}.");
        }

        var now = Now;
        var project = mr.Project;
        var target = project.Commits[project.Branches[mr.TargetBranch]];
        var files = target.Files.SetItems(project.Commits[mr.Sha].Files);
        var merge = NewCommit(project, target.Sha, $"Merge branch '{mr.SourceBranch}' into '{mr.TargetBranch}'", actor, files, [], [], []);
        project.Branches[mr.TargetBranch] = merge.Sha;
        var previous = (mr.StateId, mr.UpdatedAt);
        (mr.State, mr.MergedAt, mr.MergedBy, mr.UpdatedAt) = ("merged", now, actor, now);
        AddSystemNote(mr, actor, "merged");
        Fire(project, h => h.Events.Push, HookPayloads.PushHook, payloads.Push(project, actor, mr.TargetBranch, target.Sha, merge.Sha, [merge]), scope);
        FireMergeRequest(mr, actor, "merge", new JsonObject
        {
            ["state_id"] = Change(previous.StateId, mr.StateId),
            ["updated_at"] = Change(HookPayloads.UtcTime(previous.UpdatedAt), HookPayloads.UtcTime(now)),
        }, scope);
    }

    /// <summary>
    /// Sets the MR's labels to <paramref name="names"/> (auto-creating missing project labels), keeping scoped labels
    /// exclusive: a newly added <c>scope::value</c> removes any other label of the same scope (the text before the last
    /// <c>::</c>). Writes one resource label event per label added or removed.
    /// </summary>
    private (List<LabelEntity> Added, List<LabelEntity> Removed) ApplyLabels(
        MergeRequestEntity mr, UserEntity actor, List<string> names, IReadOnlyList<string> newlyAdded, IReadOnlyList<LabelEntity> before)
    {
        foreach (var added in newlyAdded)
        {
            if (Scope(added) is { } scope && names.Contains(added, StringComparer.Ordinal))
            {
                names.RemoveAll(n => n != added && Scope(n) == scope);
            }
        }

        var labels = names.Distinct(StringComparer.Ordinal)
            .Select(n => mr.Project.Labels.Find(l => l.Name == n) ?? AddLabel(mr.Project, n, DefaultLabelColor, ""))
            .ToList();
        var addedLabels = labels.Where(l => !before.Contains(l)).ToList();
        var removedLabels = before.Where(l => !labels.Contains(l)).ToList();
        mr.Labels.Clear();
        mr.Labels.AddRange(labels);
        var now = Now;
        foreach (var (label, action) in addedLabels.Select(l => (l, "add")).Concat(removedLabels.Select(l => (l, "remove"))))
        {
            mr.LabelEvents.Add(new LabelEventEntity { Id = nextLabelEventId++, User = actor, MergeRequest = mr, Label = label, Action = action, CreatedAt = now });
        }

        return (addedLabels, removedLabels);
    }

    public static string? Scope(string label)
    {
        var i = label.LastIndexOf("::", StringComparison.Ordinal);
        return i > 0 ? label[..i] : null;
    }

    // ---- notes ----

    public NoteEntity AddNote(UserEntity author, MergeRequestEntity mr, string body, bool isInternal, EventScope scope)
    {
        var now = Now;
        // Stored as GitLab's quick-action extractor leaves it (NoteText).
        var note = new NoteEntity { Id = nextNoteId++, MergeRequest = mr, Author = author, Body = NoteText.AsStored(body), System = false, Internal = isInternal, CreatedAt = now, UpdatedAt = now };
        mr.Notes.Add(note);
        FireNote(note, "create", scope);
        return note;
    }

    /// <summary>Like <c>Notes::DestroyService</c>: the row is destroyed, no hook fires.</summary>
    public void DeleteNote(NoteEntity note) => note.MergeRequest.Notes.Remove(note);

    /// <summary>
    /// Saves <paramref name="body"/> as GitLab stores it (NoteText); like <c>Notes::UpdateService</c>, an edit that leaves the
    /// stored text as it was changes nothing and fires no Note Hook. True when the note changed.
    /// </summary>
    public bool EditNote(NoteEntity note, string body, EventScope scope)
    {
        var stored = NoteText.AsStored(body);
        if (stored == note.Body)
        {
            return false;
        }

        note.Body = stored;
        note.UpdatedAt = Now;
        FireNote(note, "update", scope);
        return true;
    }

    /// <summary>
    /// A note in an internal thread goes only to hooks with <c>confidential_note_events</c>, as <c>Confidential Note Hook</c>;
    /// any other note only to hooks with <c>note_events</c> (docs/gitlab-behaviour.md §1.8).
    /// </summary>
    private void FireNote(NoteEntity note, string action, EventScope scope)
    {
        if (note.Internal)
        {
            Fire(note.MergeRequest.Project, h => h.Events.ConfidentialNotes == true, HookPayloads.ConfidentialNoteHook, payloads.Note(note, action), scope);
        }
        else
        {
            Fire(note.MergeRequest.Project, h => h.Events.Notes, HookPayloads.NoteHook, payloads.Note(note, action), scope);
        }
    }

    /// <summary>System notes never fire Note Hooks (Notes::PostProcessService).</summary>
    private void AddSystemNote(MergeRequestEntity mr, UserEntity actor, string body)
    {
        var now = Now;
        mr.Notes.Add(new NoteEntity { Id = nextNoteId++, MergeRequest = mr, Author = actor, Body = body, System = true, CreatedAt = now, UpdatedAt = now });
    }

    // GitLab's texts (SystemNotes::IssuablesService#change_issuable_assignees / #change_issuable_reviewers).
    private static string AssigneeNote(List<UserEntity> before, List<UserEntity> after) => JoinParts(
        Part("assigned to", after.Except(before)),
        Part("unassigned", before.Except(after)));

    private static string ReviewerNote(List<UserEntity> before, List<UserEntity> after) => JoinParts(
        Part("requested review from", after.Except(before)),
        Part("removed review request for", before.Except(after)));

    private static string? Part(string verb, IEnumerable<UserEntity> users)
    {
        var refs = users.Select(u => $"@{u.Username}").ToList();
        return refs.Count switch
        {
            0 => null,
            1 => $"{verb} {refs[0]}",
            2 => $"{verb} {refs[0]} and {refs[1]}",
            _ => $"{verb} {string.Join(", ", refs[..^1])}, and {refs[^1]}",
        };
    }

    private static string JoinParts(params string?[] parts) => string.Join(" and ", parts.OfType<string>());

    // ---- webhooks ----

    private void FireMergeRequest(MergeRequestEntity mr, UserEntity actor, string action, JsonObject changes, EventScope scope, string? oldRev = null) =>
        Fire(mr.Project, h => h.Events.MergeRequests, HookPayloads.MergeRequestHook, payloads.MergeRequest(mr, actor, action, changes, oldRev), scope);

    private void Fire(ProjectEntity project, Func<HookEntity, bool> wants, string eventName, JsonObject payload, EventScope scope)
    {
        // Group hooks are a licensed feature: without it they stay in the database but never fire. Disabled hooks are skipped.
        var now = Now;
        foreach (var hook in Hooks.Where(h => h.Covers(project) && wants(h) && (h.Group is null || GroupHooksAvailable) && h.Executable(now)))
        {
            // Each hook gets its own copy: JsonNode instances cannot be shared between parents.
            dispatcher.Enqueue(hook, eventName, (JsonObject)payload.DeepClone(), scope);
        }
    }

    private static JsonObject Change(JsonNode? previous, JsonNode? current) => new() { ["previous"] = previous, ["current"] = current };

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
