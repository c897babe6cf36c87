using GitLabMrBot.GitLab;

namespace GitLabMrBot.UnitTests.GitLab;

public sealed class GitLabPathsTests
{
    [Theory]
    [InlineData("README.md", "README.md")]
    [InlineData("lib/class.rb", "lib%2Fclass.rb")]
    [InlineData("/.gitlab/CODEOWNERS", ".gitlab%2FCODEOWNERS")]
    [InlineData("docs/a b+c#d?.md", "docs%2Fa%20b%2Bc%23d%3F.md")]
    [InlineData("ü/ñ.txt", "%C3%BC%2F%C3%B1.txt")]
    public void File_paths_are_one_fully_escaped_segment(string path, string expected)
    {
        Assert.Equal(expected, GitLabPaths.EncodeFilePath(path));
    }

    [Theory]
    [InlineData("2", 2)]
    [InlineData(" 10 ", 10)]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData("0", null)]
    [InlineData("-1", null)]
    [InlineData("next", null)]
    public void Next_page_header_is_a_positive_number_or_the_end(string? header, int? expected)
    {
        Assert.Equal(expected, GitLabPaths.ParseNextPage(header));
    }

    [Theory]
    [InlineData("""{"message":"404 Project Not Found"}""", "404 Project Not Found")]
    [InlineData("""{"message":{"title":["can't be blank"]}}""", """{"title":["can't be blank"]}""")]
    [InlineData("""{"message":["a","b"]}""", """["a","b"]""")]
    [InlineData("""{"error":"404 Not Found"}""", "404 Not Found")]
    [InlineData("Retry later\n", "Retry later")]
    [InlineData("[1,2]", "[1,2]")]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Error_message_is_read_from_message_error_or_plain_text(string? body, string? expected)
    {
        Assert.Equal(expected, GitLabPaths.ReadErrorMessage(body));
    }

    [Fact]
    public void Long_plain_error_bodies_are_capped()
    {
        var message = GitLabPaths.ReadErrorMessage(new string('x', 5_000));

        Assert.True(message!.Length <= 301);
        Assert.EndsWith("…", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://gitlab.example.com", "https://gitlab.example.com/api/v4")]
    [InlineData("https://gitlab.example.com/", "https://gitlab.example.com/api/v4")]
    [InlineData("https://example.com/gitlab/", "https://example.com/gitlab/api/v4")]
    public void Api_base_address_keeps_a_path_prefix(string url, string expected)
    {
        Assert.Equal(expected, GitLabServiceCollectionExtensions.ApiBaseAddress(new Uri(url)).ToString());
    }
}
