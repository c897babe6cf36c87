using System.Text.Json;
using GitLabMrBot.GitLab;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.UnitTests.GitLab;

public sealed class GitLabClientOptionsTests
{
    private static IOptions<GitLabClientOptions> Resolve(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGitLab(configuration);
        return services.BuildServiceProvider().GetRequiredService<IOptions<GitLabClientOptions>>();
    }

    [Fact]
    public void Defaults_are_valid_and_stay_below_gitlab_com_limits()
    {
        var options = Resolve().Value;

        Assert.Equal(1_800, options.RequestsPerMinute);
        Assert.True(options.RequestsPerMinute + options.RateLimitBurst < 2_000);
        Assert.Equal(100, options.PerPage);
    }

    [Fact]
    public void Every_invalid_setting_is_reported_at_once()
    {
        var options = Resolve(
            ("GitLab:RequestsPerMinute", "0"),
            ("GitLab:PerPage", "500"),
            ("GitLab:AttemptTimeout", "00:02:00"),
            ("GitLab:TotalTimeout", "00:01:00"));

        var error = Assert.Throws<OptionsValidationException>(() => options.Value);

        var text = string.Join("\n", error.Failures);
        Assert.Contains("RequestsPerMinute", text);
        Assert.Contains("PerPage", text);
        Assert.Contains("TotalTimeout", text);
    }

    [Fact]
    public void Update_body_omits_unset_fields_and_keeps_an_empty_list_that_clears()
    {
        var json = JsonSerializer.Serialize(
            new UpdateMergeRequestBody { AddLabels = "a,b", ReviewerIds = [] },
            GitLabJsonContext.Default.UpdateMergeRequestBody);

        Assert.Equal("""{"add_labels":"a,b","reviewer_ids":[]}""", json);
    }

    [Fact]
    public void Merge_request_reads_gitlab_field_names_and_ignores_the_rest()
    {
        var mr = JsonSerializer.Deserialize(
            """{"id":1,"iid":2,"project_id":3,"source_branch":"f","labels":["x"],"diff_refs":{"head_sha":"abc"},"changes_count":"1000+","extra":{"a":1}}""",
            GitLabJsonContext.Default.GitLabMergeRequest)!;

        Assert.Equal((1, 2, 3), (mr.Id, mr.Iid, mr.ProjectId));
        Assert.Equal("f", mr.SourceBranch);
        Assert.Equal(["x"], mr.Labels);
        Assert.Equal("abc", mr.DiffRefs!.HeadSha);
        Assert.Equal("1000+", mr.ChangesCount);
    }
}
