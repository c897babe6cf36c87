using GitLabMrBot.Webhooks;

namespace GitLabMrBot.UnitTests.Webhooks;

public sealed class WebhookBodyTests
{
    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON;charset=UTF-8")]
    [InlineData(" application/json ")]
    [InlineData("application/vnd.gitlab+json")]
    [InlineData("application/problem+json; charset=utf-8")]
    public void Json_content_types_are_json(string contentType) => Assert.True(WebhookBody.IsJsonContentType(contentType));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/jsonp")]
    [InlineData("text/json+xml")]
    [InlineData("application/+json")]
    [InlineData("multipart/form-data; boundary=json")]
    public void Other_content_types_are_not(string? contentType) => Assert.False(WebhookBody.IsJsonContentType(contentType));
}
