using GitLabMrBot.GitLab;

namespace GitLabMrBot.UnitTests.GitLab;

public sealed class GitLabRequestContextTests
{
    [Fact]
    public async Task Scope_flows_into_awaited_work_and_nested_scopes_restore_the_outer_value()
    {
        Assert.Null(GitLabRequestContext.EventUuid);

        using (GitLabRequestContext.Use("outer"))
        {
            Assert.Equal("outer", await Task.Run(() => GitLabRequestContext.EventUuid));
            using (GitLabRequestContext.Use("inner"))
            {
                await Task.Yield();
                Assert.Equal("inner", GitLabRequestContext.EventUuid);
            }
            Assert.Equal("outer", GitLabRequestContext.EventUuid);
            using (GitLabRequestContext.Use("  "))
            {
                Assert.Null(GitLabRequestContext.EventUuid);
            }
        }

        Assert.Null(GitLabRequestContext.EventUuid);
    }

    [Fact]
    public async Task Concurrent_deliveries_do_not_see_each_others_uuid()
    {
        async Task<string?> Handle(string uuid)
        {
            using var scope = GitLabRequestContext.Use(uuid);
            await Task.Yield();
            return GitLabRequestContext.EventUuid;
        }

        var seen = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Handle($"uuid-{i}")));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"uuid-{i}"), seen);
    }
}
