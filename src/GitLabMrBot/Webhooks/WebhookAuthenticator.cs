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
        var token = headers["X-Gitlab-Token"].ToString();
        if (_tokens.Matches(token))
        {
            return AuthenticationResult.Token;
        }

        if (_signatures is not null)
        {
            var signature = _signatures.Verify(headers["webhook-id"].ToString(), headers["webhook-timestamp"].ToString(), headers["webhook-signature"].ToString(), body);
            switch (signature)
            {
                case SignatureCheck.Valid:
                    return AuthenticationResult.Signature;
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
}
