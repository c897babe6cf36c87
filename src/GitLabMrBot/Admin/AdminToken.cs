using System.Security.Cryptography;
using System.Text;
using GitLabMrBot.Configuration;
using GitLabMrBot.Webhooks;
using Microsoft.Net.Http.Headers;

namespace GitLabMrBot.Admin;

/// <summary>
/// The operator's token, <c>MRBOT_ADMIN_TOKEN</c>, presented as <c>Authorization: Bearer &lt;token&gt;</c> and compared in
/// fixed time (SHA-256 of both sides, as the webhook token is). Without it the operator routes are not mapped at all (404),
/// never open. It is its own secret: set equal to a webhook secret it is refused (the routes stay off), so whoever holds
/// the webhook secret (every project hook has it) can never steer the bot.
/// </summary>
public sealed class AdminToken
{
    public const string Key = "MRBOT_ADMIN_TOKEN";

    private const string Scheme = "Bearer ";

    // What the status page's sign-in cookie holds: derived from the token, so the cookie never carries the token itself, a
    // new token signs every browser out, and the bot keeps no session state (any instance, any restart accepts it).
    private static readonly byte[] CookiePurpose = "GitLabMrBot status sign-in v1"u8.ToArray();

    private readonly WebhookTokenComparer? _comparer;
    private readonly WebhookTokenComparer? _cookieComparer;

    public AdminToken(IConfiguration configuration, BotSettings settings)
    {
        var token = configuration[Key]?.Trim();
        if (string.IsNullOrEmpty(token))
        {
            return;
        }
        if (new WebhookTokenComparer(settings.WebhookSecrets).Matches(token))
        {
            RefusedBecause = $"{Key} is one of the webhook secrets ({BotSettings.WebhookSecretKey}); the operator routes stay off until it is a secret of its own";
            return;
        }
        _comparer = new WebhookTokenComparer([token]);
        SignInCookieValue = System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), CookiePurpose));
        _cookieComparer = new WebhookTokenComparer([SignInCookieValue]);
    }

    /// <summary>True when the operator routes exist.</summary>
    public bool Enabled => _comparer is not null;

    /// <summary>Why a configured token was not taken; null when it was, or none is set.</summary>
    public string? RefusedBecause { get; }

    /// <summary>The status page's sign-in cookie value (an HMAC of the token); null when the routes are off.</summary>
    internal string? SignInCookieValue { get; }

    /// <summary>True when <paramref name="presented"/> (typed into the sign-in form) is the admin token; fixed time.</summary>
    public bool Matches(string? presented) => _comparer is not null && _comparer.Matches(presented?.Trim());

    /// <summary>True when <paramref name="cookie"/> is the sign-in cookie's value for the current token; fixed time.</summary>
    public bool AcceptsCookie(string? cookie) => _cookieComparer is not null && _cookieComparer.Matches(cookie);

    /// <summary>True when the request carries <c>Authorization: Bearer</c> with the admin token.</summary>
    public bool Accepts(HttpRequest request)
    {
        if (_comparer is null)
        {
            return false;
        }
        var header = request.Headers[HeaderNames.Authorization].ToString();
        var presented = header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? header[Scheme.Length..].Trim() : null;
        return _comparer.Matches(presented);
    }
}
