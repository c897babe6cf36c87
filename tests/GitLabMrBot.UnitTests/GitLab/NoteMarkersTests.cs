using GitLabMrBot.GitLab;

namespace GitLabMrBot.UnitTests.GitLab;

public sealed class NoteMarkersTests
{
    private const long Bot = 99;
    private static readonly string Marker = NoteMarkers.For("summary");

    private static GitLabNote Note(long id, long author, string body, bool system = false) =>
        new() { Id = id, Author = new GitLabUser { Id = author, Username = $"u{author}" }, Body = body, System = system };

    [Fact]
    public void Marker_is_a_hidden_html_comment_and_rejects_keys_that_would_end_it()
    {
        Assert.Equal("<!-- gitlab-mr-bot:summary -->", Marker);
        Assert.Throws<ArgumentException>(() => NoteMarkers.For("a-->b"));
        Assert.Throws<ArgumentException>(() => NoteMarkers.For(" "));
    }

    [Fact]
    public void Finds_only_the_bots_own_non_system_note_holding_the_marker()
    {
        var notes = new[]
        {
            Note(1, 7, $"a human quoting {Marker}"),
            Note(2, Bot, $"system note {Marker}", system: true),
            Note(3, Bot, "another bot note"),
            Note(5, Bot, $"summary v1\n\n{Marker}"),
            Note(4, Bot, $"older duplicate\n\n{Marker}"),
        };

        var found = NoteMarkers.FindMarkedNote(notes, Bot, Marker);

        Assert.Equal(4, found!.Id);
        Assert.Null(NoteMarkers.FindMarkedNote(notes, Bot, NoteMarkers.For("policy:other")));
        Assert.Null(NoteMarkers.FindMarkedNote(notes.Take(3), Bot, Marker));
    }

    [Fact]
    public void Marker_is_appended_once()
    {
        var marked = NoteMarkers.WithMarker("Body\n", Marker);

        Assert.Equal($"Body\n\n{Marker}", marked);
        Assert.Equal(marked, NoteMarkers.WithMarker(marked, Marker));
    }

    [Theory]
    [InlineData("a\nb", "a\r\nb", true)]
    [InlineData("a\nb\n\n", "a\nb", true)]
    [InlineData("a\nb", "a\nc", false)]
    [InlineData(" a", "a", false)]
    [InlineData("a\nb", "a\r\nb\r\n \t\n", true)]
    [InlineData("ab", "a\rb", true)]
    [InlineData("a\u00a0", "a", false)]
    public void Bodies_compare_as_a_reader_sees_them(string stored, string wanted, bool same)
    {
        Assert.Equal(same, NoteMarkers.SameBody(stored, wanted));
    }
}
