using System.Text;
using GitLabMrBot.Events;
using GitLabMrBot.Webhooks;

namespace GitLabMrBot.UnitTests.Webhooks;

public sealed class DeliveryPayloadCheckTests
{
    private const string Mr = """{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"id":2,"iid":3,"title":"t"},"labels":[{"title":"a"},{"title":"~"}]}""";

    private static byte[] WithInvalidByte(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        bytes[Array.IndexOf(bytes, (byte)'~')] = 0xC3;
        return bytes;
    }

    [Fact]
    public void A_readable_payload_has_no_problem() =>
        Assert.Null(DeliveryPayloadCheck.Check(WebhookEventKind.MergeRequest, Encoding.UTF8.GetBytes(Mr.Replace("~", "b", StringComparison.Ordinal))));

    [Theory]
    [InlineData(Mr, "labels[1].title")]
    [InlineData("""{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"id":2,"iid":3,"x~":1}}""", "object_attributes.(a member name)")]
    [InlineData("""{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"id":2,"iid":3,"deep":[[0,"~"]]}}""", "object_attributes.deep[0][1]")]
    [InlineData("""{"a":"~"}""", "a")]
    public void Invalid_UTF8_names_the_string_it_is_in(string json, string field)
    {
        var problem = DeliveryPayloadCheck.Check(WebhookEventKind.MergeRequest, WithInvalidByte(json));

        Assert.Equal(field, problem?.Field);
        Assert.Equal($"{field} is not valid UTF-8.", problem?.Detail);
    }

    [Theory]
    [InlineData(WebhookEventKind.MergeRequest, """{"object_kind":"merge_request","project":{},"object_attributes":{"id":2,"iid":3}}""", "project.id")]
    [InlineData(WebhookEventKind.MergeRequest, """{"object_kind":"merge_request","project":{"id":1},"object_attributes":{"id":2,"iid":3,"draft":"yes"}}""", "object_attributes.draft")]
    [InlineData(WebhookEventKind.MergeRequest, """{"object_kind":"merge_request","project":{"id":-1},"object_attributes":{"id":2,"iid":3}}""", "project.id")]
    [InlineData(WebhookEventKind.Note, """{"object_kind":"note","object_attributes":{"id":1,"noteable_type":"MergeRequest"},"merge_request":{"iid":1}}""", "project_id")]
    [InlineData(WebhookEventKind.Note, """{"object_kind":"note","project_id":0,"object_attributes":{"id":1,"noteable_type":"MergeRequest"},"merge_request":{"iid":1}}""", "project_id")]
    [InlineData(WebhookEventKind.Note, """{"object_kind":"note","project_id":5,"object_attributes":{"id":1,"noteable_type":"MergeRequest"}}""", "merge_request")]
    [InlineData(WebhookEventKind.Push, """{"object_kind":"push","ref":"refs/heads/a","project":{"id":0}}""", "project.id")]
    [InlineData(WebhookEventKind.Push, """{"object_kind":"push","ref":"refs/heads/a","project_id":7,"commits":[{"message":"m"}]}""", "commits[0].id")]
    public void The_field_the_worker_cannot_read_is_named(WebhookEventKind kind, string json, string field) =>
        Assert.Equal(field, DeliveryPayloadCheck.Check(kind, Encoding.UTF8.GetBytes(json))?.Field);
}
