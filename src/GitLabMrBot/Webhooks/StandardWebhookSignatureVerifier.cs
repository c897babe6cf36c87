using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace GitLabMrBot.Webhooks;

public enum SignatureCheck
{
    Valid,

    /// <summary>One of <c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c> is absent.</summary>
    Missing,

    /// <summary><c>webhook-timestamp</c> is not Unix seconds within the tolerance of now.</summary>
    Stale,

    /// <summary>No <c>v1,</c> signature in the header matches.</summary>
    Mismatch,
}

/// <summary>
/// Verifies a Standard Webhooks signature (GitLab 19+, docs/gitlab-behaviour.md §1.7): HMAC-SHA256 with the signing key over
/// <c>{webhook-id}.{webhook-timestamp}.{raw body}</c>, sent as a space-separated list of <c>v1,&lt;base64&gt;</c>.
/// The timestamp must be within five minutes of now, either direction, so a captured request cannot be replayed later.
/// </summary>
public sealed class StandardWebhookSignatureVerifier(byte[] key, TimeProvider timeProvider)
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// What can be checked before the body is read (the signature covers the body): the three headers are present, the
    /// timestamp is within the tolerance, and at least one <c>v1,</c> entry is a well-formed 32-byte signature.
    /// <see cref="SignatureCheck.Valid"/> here only means the body is worth reading and verifying.
    /// </summary>
    public SignatureCheck CheckHeaders(string? webhookId, string? webhookTimestamp, string? webhookSignature)
    {
        if (string.IsNullOrEmpty(webhookId) || string.IsNullOrEmpty(webhookTimestamp) || string.IsNullOrEmpty(webhookSignature))
        {
            return SignatureCheck.Missing;
        }

        if (!long.TryParse(webhookTimestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(timeProvider.GetUtcNow().ToUnixTimeSeconds() - seconds) > (long)Tolerance.TotalSeconds)
        {
            return SignatureCheck.Stale;
        }

        Span<byte> candidate = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var range in webhookSignature.AsSpan().Split(' '))
        {
            var entry = webhookSignature.AsSpan()[range];
            if (entry.StartsWith("v1,", StringComparison.Ordinal)
                && Convert.TryFromBase64Chars(entry[3..], candidate, out var written)
                && written == HMACSHA256.HashSizeInBytes)
            {
                return SignatureCheck.Valid;
            }
        }
        return SignatureCheck.Mismatch;
    }

    public SignatureCheck Verify(string? webhookId, string? webhookTimestamp, string? webhookSignature, ReadOnlySpan<byte> body)
    {
        var headers = CheckHeaders(webhookId, webhookTimestamp, webhookSignature);
        if (headers is SignatureCheck.Missing or SignatureCheck.Stale || webhookId is null || webhookTimestamp is null || webhookSignature is null)
        {
            return headers;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Sign(webhookId, webhookTimestamp, body, expected);

        Span<byte> candidate = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var match = false;
        foreach (var range in webhookSignature.AsSpan().Split(' '))
        {
            var entry = webhookSignature.AsSpan()[range];
            if (!entry.StartsWith("v1,", StringComparison.Ordinal)
                || !Convert.TryFromBase64Chars(entry[3..], candidate, out var written)
                || written != HMACSHA256.HashSizeInBytes)
            {
                continue;
            }
            match |= CryptographicOperations.FixedTimeEquals(candidate, expected);
        }
        return match ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    /// <summary>The header value GitLab would send for this delivery (used by tests and the benchmark).</summary>
    public static string SignatureHeader(byte[] key, string webhookId, string webhookTimestamp, ReadOnlySpan<byte> body)
    {
        Span<byte> signature = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Sign(key, webhookId, webhookTimestamp, body, signature);
        return "v1," + Convert.ToBase64String(signature);
    }

    private void Sign(string webhookId, string webhookTimestamp, ReadOnlySpan<byte> body, Span<byte> destination) =>
        Sign(key, webhookId, webhookTimestamp, body, destination);

    private static void Sign(byte[] key, string webhookId, string webhookTimestamp, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        AppendUtf8(hmac, webhookId);
        hmac.AppendData("."u8);
        AppendUtf8(hmac, webhookTimestamp);
        hmac.AppendData("."u8);
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }

    private static void AppendUtf8(IncrementalHash hash, string text)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = maxBytes <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            hash.AppendData(buffer[..Encoding.UTF8.GetBytes(text, buffer)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
