using System.Security.Cryptography;
using System.Text;
using GitLabMrBot.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace GitLabMrBot.UnitTests.Webhooks;

public sealed class StandardWebhookSignatureVerifierTests
{
    private static readonly byte[] Key = Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"object_kind":"push"}""");

    private readonly StandardWebhookSignatureVerifier _verifier = new(Key, new FakeTimeProvider(Now));

    [Fact]
    public void Signature_matches_the_standard_webhooks_reference_vector()
    {
        // Test vector from the Standard Webhooks reference libraries (standard-webhooks/standard-webhooks).
        var key = Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var header = StandardWebhookSignatureVerifier.SignatureHeader(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", """{"test": 2432232314}"""u8);

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", header);
    }

    [Fact]
    public void Valid_signature_is_accepted()
    {
        var signature = Sign("msg_1", "1700000000", Body);

        Assert.Equal(SignatureCheck.Valid, _verifier.Verify("msg_1", "1700000000", signature, Body));
    }

    [Fact]
    public void Any_matching_entry_of_the_list_is_enough()
    {
        var signature = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,xyz " + Sign("msg_1", "1700000000", Body);

        Assert.Equal(SignatureCheck.Valid, _verifier.Verify("msg_1", "1700000000", signature, Body));
    }

    [Theory]
    [InlineData(-299)]
    [InlineData(299)]
    public void Timestamp_within_five_minutes_either_way_is_accepted(int offsetSeconds)
    {
        var timestamp = (Now.ToUnixTimeSeconds() + offsetSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(SignatureCheck.Valid, _verifier.Verify("msg_1", timestamp, Sign("msg_1", timestamp, Body), Body));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    [InlineData(-86400)]
    public void Timestamp_outside_five_minutes_is_stale(int offsetSeconds)
    {
        var timestamp = (Now.ToUnixTimeSeconds() + offsetSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(SignatureCheck.Stale, _verifier.Verify("msg_1", timestamp, Sign("msg_1", timestamp, Body), Body));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("-1700000000")]
    [InlineData("1700000000.5")]
    public void Timestamp_that_is_not_unix_seconds_is_refused(string timestamp) =>
        Assert.Equal(SignatureCheck.Stale, _verifier.Verify("msg_1", timestamp, Sign("msg_1", timestamp, Body), Body));

    [Fact]
    public void Changed_body_id_or_timestamp_breaks_the_signature()
    {
        var signature = Sign("msg_1", "1700000000", Body);

        Assert.Equal(SignatureCheck.Mismatch, _verifier.Verify("msg_1", "1700000000", signature, Encoding.UTF8.GetBytes("""{"object_kind":"push" }""")));
        Assert.Equal(SignatureCheck.Mismatch, _verifier.Verify("msg_2", "1700000000", signature, Body));
        Assert.Equal(SignatureCheck.Mismatch, _verifier.Verify("msg_1", "1700000001", signature, Body));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("v1,not base64!")]
    [InlineData("v1,")]
    [InlineData("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    public void Malformed_signatures_do_not_match(string signature) =>
        Assert.Equal(SignatureCheck.Mismatch, _verifier.Verify("msg_1", "1700000000", signature, Body));

    [Fact]
    public void Signature_made_with_another_key_does_not_match()
    {
        var otherKey = RandomNumberGenerator.GetBytes(32);
        var signature = StandardWebhookSignatureVerifier.SignatureHeader(otherKey, "msg_1", "1700000000", Body);

        Assert.Equal(SignatureCheck.Mismatch, _verifier.Verify("msg_1", "1700000000", signature, Body));
    }

    [Theory]
    [InlineData(null, "1700000000", "v1,x")]
    [InlineData("msg_1", null, "v1,x")]
    [InlineData("msg_1", "1700000000", null)]
    [InlineData("", "", "")]
    public void Missing_headers_are_reported_as_missing(string? id, string? timestamp, string? signature) =>
        Assert.Equal(SignatureCheck.Missing, _verifier.Verify(id, timestamp, signature, Body));

    private static string Sign(string id, string timestamp, byte[] body)
    {
        // Independent of the class under test: HMAC-SHA256 over "{id}.{timestamp}.{body}".
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray();
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(Key, signed));
    }
}
