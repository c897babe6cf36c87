using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>One marker format for every note the bot finds again: summary, policy comments, command replies.</summary>
public sealed class NoteMarkerTests
{
    [Fact]
    public void The_format_is_the_one_earlier_notes_carry()
    {
        // Notes already on GitLab hold these exact bytes: a changed format would orphan them and post duplicates.
        Assert.Equal("<!-- gitlab-mr-bot:summary -->", NoteMarker.Summary);
        Assert.Equal("<!-- gitlab-mr-bot:policy:docs -->", NoteMarker.ForPolicy("docs"));
        Assert.Equal("<!-- gitlab-mr-bot:help:12 -->", NoteMarker.For("help:12"));
    }

    [Fact]
    public void Every_user_of_a_marker_builds_it_the_same_way()
    {
        Assert.Equal(NoteMarker.Summary, NoteMarker.For("summary"));
        Assert.Equal(NoteMarker.Summary, PolicyEngine.SummaryMarker);
        Assert.Equal(NoteMarker.Summary, SummaryComment.Marker);
        Assert.Equal(NoteMarker.Summary, NoteMarkers.For("summary"));
        Assert.Equal(NoteMarker.For("policy:docs"), PolicyEngine.PolicyCommentMarker("docs"));
    }

    [Fact]
    public void A_policy_name_the_config_allows_makes_a_marker_though_a_note_key_could_not_hold_it()
    {
        // The config compiler refuses only "-->" and line breaks in policy names; "--" alone is a valid name.
        Assert.Equal("<!-- gitlab-mr-bot:policy:a--b -->", NoteMarker.ForPolicy("a--b"));
        Assert.Throws<ArgumentException>(() => NoteMarker.For("policy:a--b"));
    }
}
