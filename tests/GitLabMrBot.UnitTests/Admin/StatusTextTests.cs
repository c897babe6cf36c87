using GitLabMrBot.Admin.Status;
using GitLabMrBot.Configuration;
using GitLabMrBot.Storage;

namespace GitLabMrBot.UnitTests.Admin;

/// <summary>Issue 13 item 8: what the status page prints beside the store's data.</summary>
public sealed class StatusTextTests
{
    private static BotSettings Settings(string database) => new()
    {
        GitLabUrl = new Uri("https://gitlab.example.com/"),
        GitLabToken = "glpat-x",
        WebhookSecrets = ["s"],
        ConfigPath = "bot.config.json",
        Database = database,
    };

    [Fact]
    public void Item8_the_store_is_named_with_its_place_and_never_its_password_or_user()
    {
        var postgres = StoreDescription.Of(Settings("Host=db.internal;Port=5433;Username=mrbot;Password=s3cret-pw;Database=bot;SSL Mode=Require"));
        var sqlite = StoreDescription.Of(Settings("data/mrbot.db"));

        Assert.Equal("PostgreSQL db.internal:5433/bot", postgres);
        Assert.DoesNotContain("s3cret", postgres, StringComparison.Ordinal);
        Assert.DoesNotContain("mrbot", postgres, StringComparison.Ordinal);
        Assert.Equal("SQLite " + Path.GetFullPath("data/mrbot.db"), sqlite);
    }

    [Theory]
    [InlineData("requeued", "12", "Delivery 12 re-queued")]
    [InlineData("not-dead", "12", "Delivery 12 was not dead")]
    [InlineData("dropped", "12", "Delivery 12 dropped")]
    [InlineData("not-dropped", "12", "Delivery 12 is waiting or in flight")]
    [InlineData("not-found", "12", "The store has no delivery 12")]
    public void Item8_each_outcome_after_a_POST_has_its_line(string done, string id, string expected) =>
        Assert.StartsWith(expected, StatusModule.Message(done, id)!.Text, StringComparison.Ordinal);

    [Theory]
    [InlineData(null, "12")]
    [InlineData("requeued", null)]
    [InlineData("requeued", "<script>")]
    [InlineData("anything", "12")]
    public void Item8_a_hand_made_outcome_shows_nothing(string? done, string? id) =>
        Assert.Null(StatusModule.Message(done, id));

    [Fact]
    public void Item8_times_ages_and_merge_requests_read_short()
    {
        var now = new DateTimeOffset(2026, 12, 5, 3, 0, 0, TimeSpan.Zero);

        Assert.Equal("2026-12-05 03:00:00 UTC", StatusText.Time(now));
        Assert.Equal("just now", StatusText.Ago(now, now));
        Assert.Equal("42 s ago", StatusText.Ago(now.AddSeconds(-42), now));
        Assert.Equal("5 min ago", StatusText.Ago(now.AddMinutes(-5), now));
        Assert.Equal("3 days ago", StatusText.Ago(now.AddDays(-3), now));
        Assert.Equal("479 ms", StatusText.Duration(479.4));
        Assert.Equal("2.0 s", StatusText.Duration(2010));
        Assert.Equal("acme/app!7", StatusText.MergeRequest("acme/app", 1, 7));
        Assert.Equal("project 1!7", StatusText.MergeRequest(null, 1, 7));
    }
}
