using GitLabMrBot.Processing;

namespace GitLabMrBot.UnitTests.Processing;

public sealed class BotCommandParserTests
{
    private static IReadOnlyList<BotCommand> Parse(string body) => BotCommandParser.Parse(body, "mrbot");

    [Theory]
    [InlineData("@mrbot recheck")]
    [InlineData("  @mrbot recheck please")]
    [InlineData("Could you @mrbot recheck this?")]
    [InlineData("@MrBot ReCheck")]
    [InlineData("@mrbot: recheck")]
    [InlineData("@mrbot\trecheck.")]
    [InlineData("First line\n\n@mrbot recheck\n\nthanks")]
    [InlineData("Text with `code` and then @mrbot recheck")]
    [InlineData("```\ncode\n```\n@mrbot recheck")]
    [InlineData("- item\n    @mrbot recheck")]
    public void A_mention_followed_by_recheck_is_a_command(string body) =>
        Assert.Equal([BotCommand.Recheck], Parse(body));

    [Theory]
    [InlineData("> @mrbot recheck")]
    [InlineData("   > @mrbot recheck")]
    [InlineData("> quoted\n> @mrbot recheck")]
    [InlineData(">>>\n@mrbot recheck\n>>>")]
    [InlineData("```\n@mrbot recheck\n```")]
    [InlineData("~~~sh\n@mrbot recheck\n~~~")]
    [InlineData("````\n```\n@mrbot recheck\n````")]
    [InlineData("Run:\n\n    @mrbot recheck")]
    [InlineData("\t@mrbot recheck")]
    [InlineData("Type `@mrbot recheck` to re-run")]
    [InlineData("Type ``@mrbot recheck`` to re-run")]
    [InlineData("``a ` @mrbot recheck``")]
    public void Quotes_and_code_are_never_commands(string body) =>
        Assert.Empty(Parse(body));

    [Theory]
    [InlineData("")]
    [InlineData("Looks good")]
    [InlineData("@alice recheck")]
    [InlineData("@mrbot-two recheck")]
    [InlineData("@mrbot.x recheck")]
    [InlineData("mail me at me@mrbot recheck")]
    [InlineData("@mrbot dance")]
    [InlineData("@mrbot")]
    [InlineData("@mrbot\nrecheck")]
    [InlineData("@mrbot rechecking")]
    public void Other_text_is_not_a_command(string body) =>
        Assert.Empty(Parse(body));

    [Fact]
    public void Several_commands_come_in_order_each_once()
    {
        Assert.Equal([BotCommand.Help, BotCommand.Recheck], Parse("@mrbot help\n@mrbot recheck\n@mrbot help"));
    }

    [Fact]
    public void An_unclosed_fence_hides_everything_after_it()
    {
        Assert.Empty(Parse("```\n@mrbot recheck"));
        Assert.Equal([BotCommand.Help], Parse("@mrbot help\n```\n@mrbot recheck"));
    }

    [Fact]
    public void Usernames_with_regex_characters_are_matched_literally()
    {
        Assert.Equal([BotCommand.Recheck], BotCommandParser.Parse("@mr.bot recheck", "mr.bot"));
        Assert.Empty(BotCommandParser.Parse("@mrxbot recheck", "mr.bot"));
    }
}
