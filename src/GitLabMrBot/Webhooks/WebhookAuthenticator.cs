using GitLabMrBot.Configuration;

namespace GitLabMrBot.Webhooks;

public enum AuthenticationResult
{
    Token,
    Signature,
    TokenMissing,
    TokenInvalid,
    SignatureStale,
    SignatureInvalid,

    /// <summary>Before the body is read: the signature headers are present and well formed; the body must still be verified.</summary>
    SignatureToVerify,
}

/// <summary>
/// Step 3 of docs/contract.md §4: a delivery is authentic with a valid <c>X-Gitlab-Token</c> or, when a signing
/// token is configured, a valid Standard Webhooks signature. Built once from <see cref="BotSettings"/>.
/// </summary>
public sealed class WebhookAuthenticator
{
    private readonly WebhookTokenComparer _tokens;
    private readonly StandardWebhookSignatureVerifier? _signatures;

    public WebhookAuthenticator(BotSettings settings, TimeProvider timeProvider)
    {
        _tokens = new WebhookTokenComparer(settings.WebhookSecrets);
        _signatures = settings.SigningKey is { } key ? new StandardWebhookSignatureVerifier(key, timeProvider) : null;
    }

    public static bool IsAuthenticated(AuthenticationResult result) => result is AuthenticationResult.Token or AuthenticationResult.Signature;

    public AuthenticationResult Authenticate(IHeaderDictionary headers, ReadOnlySpan<byte> body)
    {
        var beforeBody = AuthenticateHeaders(headers);
        return beforeBody == AuthenticationResult.SignatureToVerify ? VerifySignature(headers, body) : beforeBody;
    }

    /// <summary>
    /// Everything that can be decided before the body is read, so an unauthenticated body is never read:
    /// <see cref="AuthenticationResult.Token"/>, a failure, or <see cref="AuthenticationResult.SignatureToVerify"/>
    /// (then <see cref="VerifySignature"/> decides, once the body is read).
    /// </summary>
    public AuthenticationResult AuthenticateHeaders(IHeaderDictionary headers)
    {
        var token = headers["X-Gitlab-Token"].ToString();
        if (_tokens.Matches(token))
        {
            return AuthenticationResult.Token;
        }

        if (_signatures is not null)
        {
            switch (_signatures.CheckHeaders(headers["webhook-id"].ToString(), headers["webhook-timestamp"].ToString(), headers["webhook-signature"].ToString()))
            {
                case SignatureCheck.Valid:
                    return AuthenticationResult.SignatureToVerify;
                case SignatureCheck.Stale:
                    return AuthenticationResult.SignatureStale;
                case SignatureCheck.Mismatch:
                    return AuthenticationResult.SignatureInvalid;
                case SignatureCheck.Missing:
                default:
                    break;
            }
        }

        return token.Length == 0 ? AuthenticationResult.TokenMissing : AuthenticationResult.TokenInvalid;
    }

    /// <summary>The signature over the body, after <see cref="AuthenticateHeaders"/> answered <see cref="AuthenticationResult.SignatureToVerify"/>.</summary>
    public AuthenticationResult VerifySignature(IHeaderDictionary headers, ReadOnlySpan<byte> body) =>
        _signatures?.Verify(headers["webhook-id"].ToString(), headers["webhook-timestamp"].ToString(), headers["webhook-signature"].ToString(), body) switch
        {
            SignatureCheck.Valid => AuthenticationResult.Signature,
            SignatureCheck.Stale => AuthenticationResult.SignatureStale,
            _ => AuthenticationResult.SignatureInvalid,
        };
}
