using GitLabMrBot.Policies;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Issue 12, defect 4: the one helper that writes text from GitLab into notes.</summary>
public sealed class InertTextTests
{
    [Theory]
    [InlineData("release/@all", "`release/@all`")]
    [InlineData("a`b", "``a`b``")]
    [InlineData("a``b", "```a``b```")]
    [InlineData("`x", "`` `x ``")]
    [InlineData("x`", "`` x` ``")]
    [InlineData(" x ", "`  x  `")]
    [InlineData("line\n/close", "`line /close`")]
    [InlineData("", "")]
    public void Code_spans_use_a_fence_no_backtick_run_inside_can_close(string value, string expected) =>
        Assert.Equal(expected, InertText.Code(value));

    [Fact]
    public void Code_in_a_table_escapes_the_pipe() =>
        Assert.Equal("`a\\|b`", InertText.Code("a|b", inTable: true));

    [Theory]
    [InlineData("a\u202Eb\u2066c\u200Bd\u0000e\u0007f", "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf")]
    [InlineData("a\r\nb\u2028c\td", "a  b c d")]
    [InlineData("😀", "😀")]
    public void Clean_shows_invisible_characters_as_replacement_and_breaks_as_spaces(string value, string expected) =>
        Assert.Equal(expected, InertText.Clean(value));

    [Fact]
    public void Clean_caps_the_length_with_an_ellipsis_and_never_splits_a_surrogate_pair()
    {
        Assert.Equal("abcd…", InertText.Clean("abcdefgh", 5));
        Assert.Equal("abcde", InertText.Clean("abcde", 5));
        Assert.Equal("a…", InertText.Clean("a😀😀", 2));
        Assert.Equal("😀…", InertText.Clean("😀😀😀", 2));
    }

    [Fact]
    public void Escape_backslashes_reference_characters_and_puts_URLs_in_code_spans()
    {
        Assert.Equal("fix \\#1 for \\@all \\~bug \\%m \\&1 \\$2 \\!3", InertText.Escape("fix #1 for @all ~bug %m &1 $2 !3"));
        Assert.Equal("see `https://gitlab.example.com/g/p/-/issues/1` and `www.x.example/a`", InertText.Escape("see https://gitlab.example.com/g/p/-/issues/1 and www.x.example/a"));
        Assert.Equal("\\<\\!-- x --\\>", InertText.Escape("<!-- x -->"));
    }
}
