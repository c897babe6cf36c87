using System.Text.Json;
using GitLabMrBot.Events;

namespace GitLabMrBot.UnitTests.Events;

public sealed class GitLabTimestampConverterTests
{
    [Theory]
    [InlineData("2013-12-03T17:23:34Z", "2013-12-03T17:23:34+00:00")]
    [InlineData("2015-05-17 18:21:36 UTC", "2015-05-17T18:21:36+00:00")]
    [InlineData("2012-01-03T23:36:29+02:00", "2012-01-03T21:36:29+00:00")]
    [InlineData("2019-06-05T14:32:20.211Z", "2019-06-05T14:32:20.211+00:00")]
    [InlineData("2015-05-17 18:21:36 +02:00", "2015-05-17T16:21:36+00:00")]
    public void GitLab_timestamp_formats_are_read(string text, string expectedUtc)
    {
        Assert.True(GitLabTimestampConverter.TryParse(text, out var value));
        Assert.Equal(DateTimeOffset.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Fact]
    public void Offset_is_kept()
    {
        Assert.True(GitLabTimestampConverter.TryParse("2012-01-03T23:36:29+02:00", out var value));
        Assert.Equal(TimeSpan.FromHours(2), value.Offset);
    }

    [Theory]
    [InlineData("2015-04-08T21: 00:25-07:00")]
    [InlineData("yesterday")]
    [InlineData("")]
    [InlineData("2015-13-40 10:00:00 UTC")]
    public void Malformed_timestamps_are_refused(string text) => Assert.False(GitLabTimestampConverter.TryParse(text, out _));

    [Fact]
    public void Modelled_timestamp_is_read_through_the_context()
    {
        const string json = """{"object_kind":"note","project_id":1,"object_attributes":{"id":1,"noteable_type":"MergeRequest","updated_at":"2015-05-17 18:21:36 UTC"},"merge_request":{"iid":2}}""";

        var note = JsonSerializer.Deserialize(json, WebhookJsonContext.Default.NoteEvent)!;

        Assert.Equal(new DateTimeOffset(2015, 5, 17, 18, 21, 36, TimeSpan.Zero), note.ObjectAttributes.UpdatedAt);
    }

    [Fact]
    public void Malformed_modelled_timestamp_fails_the_payload()
    {
        const string json = """{"object_kind":"note","project_id":1,"object_attributes":{"id":1,"noteable_type":"MergeRequest","updated_at":"soon"},"merge_request":{"iid":2}}""";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, WebhookJsonContext.Default.NoteEvent));
    }

    [Fact]
    public void Malformed_timestamp_in_an_unmodelled_field_does_not_fail_the_payload()
    {
        const string json = """{"object_kind":"note","project_id":1,"object_attributes":{"id":1,"noteable_type":"MergeRequest"},"merge_request":{"iid":2,"last_commit":{"timestamp":"2015-04-08T21: 00:25-07:00"}}}""";

        var note = JsonSerializer.Deserialize(json, WebhookJsonContext.Default.NoteEvent)!;

        Assert.Equal(2, note.MergeRequest!.Iid);
        Assert.True(note.MergeRequest.ExtensionData!.ContainsKey("last_commit"));
    }
}
