using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace GitLabMrBot.Webhooks;

/// <summary>
/// Checks <c>X-Gitlab-Token</c> against every configured secret (several during a rotation) in fixed time:
/// both sides are hashed to SHA-256 first, so neither the length nor the content of a secret leaks through
/// timing, and every secret is compared even after a match.
/// </summary>
public sealed class WebhookTokenComparer
{
    private readonly byte[][] _secretHashes;

    public WebhookTokenComparer(IEnumerable<string> secrets)
    {
        _secretHashes = [.. secrets.Select(s => SHA256.HashData(Encoding.UTF8.GetBytes(s)))];
    }

    public bool Matches(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(presented, hash);

        var match = false;
        foreach (var secretHash in _secretHashes)
        {
            // Non-short-circuiting '|' on purpose: the time taken does not depend on which secret matched.
            match |= CryptographicOperations.FixedTimeEquals(hash, secretHash);
        }
        return match;
    }

    private static void Hash(string text, Span<byte> destination)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = maxBytes <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, buffer);
            SHA256.HashData(buffer[..length], destination);
            CryptographicOperations.ZeroMemory(buffer[..length]);
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
