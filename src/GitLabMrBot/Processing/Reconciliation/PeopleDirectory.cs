using GitLabMrBot.GitLab;
using GitLabMrBot.Policies.CodeOwners;
using GitLabMrBot.Policies.Reviewers;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>A GitLab user as reviewer selection needs them: id, name, and whether the account can be asked at all.</summary>
public sealed record DirectoryUser(long Id, string Username, bool Blocked)
{
    public static DirectoryUser From(GitLabUser user) => new(user.Id, user.Username, IsBlocked(user.State));

    public static DirectoryUser From(GitLabMember member) => new(member.Id, member.Username, IsBlocked(member.State));

    // blocked, banned, deactivated, blocked_pending_approval…: anything but active cannot review.
    private static bool IsBlocked(string? state) => state is not null && !string.Equals(state, "active", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// People lookups for reviewer selection, each cached for <see cref="GitLabCacheOptions.TimeToLive"/> (default a minute):
/// one MR burst must not cost the same lookups again, and a status or a review load changed during the day is seen
/// within that time. With the caches off (<see cref="GitLabCacheOptions.Enabled"/>) every lookup is made again.
/// </summary>
public sealed class PeopleDirectory(IGitLabDirectory gitLab, IMemoryCache cache, IOptions<GitLabCacheOptions>? cacheOptions = null)
{
    private readonly GitLabCacheOptions _options = cacheOptions?.Value ?? new GitLabCacheOptions();
    private TimeSpan PeopleFor => _options.TimeToLive;
    private TimeSpan StatusFor => _options.TimeToLive;
    private TimeSpan LoadFor => _options.TimeToLive;

    public Task<DirectoryUser?> UserAsync(string username, CancellationToken cancellationToken) =>
        CachedAsync(("user", username.ToLowerInvariant()), PeopleFor, async () =>
            await gitLab.FindUserAsync(username, cancellationToken) is { } user ? DirectoryUser.From(user) : null);

    /// <summary>
    /// The users a CODEOWNERS reference stands for: <c>@name</c> is a user, else a group (direct members);
    /// <c>@group/sub</c> a group; <c>@@role</c> the project's direct members with exactly that role; an email its user.
    /// Unresolvable references stand for nobody, as in GitLab.
    /// </summary>
    public async Task<IReadOnlyList<DirectoryUser>> ExpandAsync(long projectId, CodeOwner owner, CancellationToken cancellationToken)
    {
        switch (owner.Kind)
        {
            case CodeOwnerKind.Name:
                if (!owner.IsGroupPath && await UserAsync(owner.Value, cancellationToken) is { } user)
                {
                    return [user];
                }
                return await GroupAsync(owner.Value, cancellationToken) ?? [];
            case CodeOwnerKind.Email:
                return await CachedAsync(("email", owner.Value.ToLowerInvariant()), PeopleFor, async () =>
                    await gitLab.FindUserByEmailAsync(owner.Value, cancellationToken) is { } found ? DirectoryUser.From(found) : null) is { } byEmail
                    ? [byEmail]
                    : [];
            case CodeOwnerKind.Role:
                var level = owner.Value switch
                {
                    "developer" => 30,
                    "maintainer" => 40,
                    "owner" => 50,
                    _ => -1,
                };
                var members = await CachedAsync(("project-members", projectId), PeopleFor, async () =>
                    (IReadOnlyList<GitLabMember>?)await gitLab.GetDirectProjectMembersAsync(projectId, cancellationToken)) ?? [];
                return [.. members.Where(m => m.AccessLevel == level).Select(DirectoryUser.From)];
            default:
                return [];
        }
    }

    /// <summary>
    /// Whether the user is a member of the project (direct, inherited or invited: <c>/members/all/:user_id</c>), trusted for
    /// the cache's time to live. Asked only for people a project's own file names, who must not bring in outsiders.
    /// </summary>
    public async Task<bool> IsProjectMemberAsync(long projectId, long userId, CancellationToken cancellationToken) =>
        await CachedAsync(("member", projectId, userId), PeopleFor, async () =>
            (bool?)(await gitLab.GetProjectMemberAsync(projectId, userId, cancellationToken) is not null)) ?? false;

    public Task<UserStatus?> StatusAsync(long userId, CancellationToken cancellationToken) =>
        CachedAsync(("status", userId), StatusFor, async () =>
            await gitLab.GetUserStatusAsync(userId, cancellationToken) is { } s ? new UserStatus(s.Availability, s.Message, s.Emoji) : new UserStatus(null, null, null));

    /// <summary>
    /// Open merge requests anywhere where the user is a reviewer: one request each, read from GitLab's <c>x-total</c>
    /// (past GitLab's count limit, the limit + 1: anyone that busy ranks last).
    /// </summary>
    public async Task<int> ReviewLoadAsync(long userId, CancellationToken cancellationToken) =>
        await CachedAsync(("load", userId), LoadFor, async () =>
            (int?)await gitLab.CountMergeRequestsForReviewerAsync(userId, "opened", cancellationToken)) ?? 0;

    private async Task<IReadOnlyList<DirectoryUser>?> GroupAsync(string path, CancellationToken cancellationToken) =>
        await CachedAsync(("group", path.ToLowerInvariant()), PeopleFor, async () =>
            await gitLab.GetDirectGroupMembersAsync(path, cancellationToken) is { } members
                ? (IReadOnlyList<DirectoryUser>)[.. members.Select(DirectoryUser.From)]
                : null);

    // Misses are cached too (a wrapper holds the null), so an unknown name is not looked up on every event.
    private async Task<T?> CachedAsync<T>(object key, TimeSpan ttl, Func<Task<T?>> load)
    {
        if (!_options.Enabled)
        {
            return await load();
        }
        var cacheKey = (nameof(PeopleDirectory), key);
        if (cache.TryGetValue(cacheKey, out Box<T>? hit) && hit is not null)
        {
            return hit.Value;
        }
        var value = await load();
        cache.Set(cacheKey, new Box<T>(value), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl, Size = 1 });
        return value;
    }

    private sealed record Box<T>(T? Value);
}
