using System.Net;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSubstitute;
using Refit;

namespace GitLabMrBot.UnitTests.GitLab;

public sealed class GitLabClientTests
{
    private static readonly MergeRequestRef Mr = new(1, 2);
    private readonly IGitLabApi _api = Substitute.For<IGitLabApi>();

    private GitLabClient Client(GitLabClientOptions? options = null) =>
        new(_api, new GitLabIdentityCache(), Options.Create(options ?? new GitLabClientOptions()), TimeProvider.System, NullLogger<GitLabClient>.Instance);

    private static ApiResponse<List<GitLabDiff>> Page(string? nextPage, params string[] paths)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = new HttpRequestMessage(HttpMethod.Get, "http://gitlab.test/x") };
        if (nextPage is not null)
        {
            response.Headers.TryAddWithoutValidation("x-next-page", nextPage);
        }
        return new ApiResponse<List<GitLabDiff>>(response, [.. paths.Select(p => new GitLabDiff { NewPath = p })], new RefitSettings());
    }

    [Fact]
    public async Task Pagination_stops_with_an_error_when_the_next_page_goes_backwards()
    {
        _api.GetDiffsAsync(1, 2, 1, 100, Arg.Any<CancellationToken>()).Returns(Page("2", "a"));
        _api.GetDiffsAsync(1, 2, 2, 100, Arg.Any<CancellationToken>()).Returns(Page("1", "b"));

        var error = await Assert.ThrowsAsync<GitLabApiException>(() => Client().GetAllDiffsAsync(Mr, CancellationToken.None));

        Assert.Contains("pagination did not end", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pagination_uses_the_configured_page_size_and_ends_on_an_empty_next_page()
    {
        _api.GetDiffsAsync(1, 2, 1, 50, Arg.Any<CancellationToken>()).Returns(Page("2", "a"));
        _api.GetDiffsAsync(1, 2, 2, 50, Arg.Any<CancellationToken>()).Returns(Page("", "b"));

        var diffs = await Client(new GitLabClientOptions { PerPage = 50 }).GetAllDiffsAsync(Mr, CancellationToken.None);

        Assert.Equal(["a", "b"], diffs.Select(d => d.NewPath));
    }

    [Theory]
    [InlineData("a,b")]
    [InlineData(" ")]
    public async Task Label_names_that_cannot_be_sent_in_a_comma_list_are_refused_before_any_call(string label)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client().UpdateMergeRequestAsync(Mr, new MergeRequestUpdate { AddLabels = [label] }, CancellationToken.None));

        Assert.Empty(_api.ReceivedCalls());
    }

    [Fact]
    public async Task An_update_that_changes_nothing_is_refused_before_any_call()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client().UpdateMergeRequestAsync(Mr, new MergeRequestUpdate { AddLabels = [] }, CancellationToken.None));

        Assert.Empty(_api.ReceivedCalls());
    }
}
