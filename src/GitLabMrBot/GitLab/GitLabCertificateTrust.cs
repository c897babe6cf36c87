using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.GitLab;

/// <summary>
/// Trust for GitLab's HTTPS certificate: the system's CAs, plus the certificates of <see cref="GitLabClientOptions.CaBundle"/>
/// for an instance behind an internal CA. Only GitLab calls use it; a wrong host name is refused whatever the CA.
/// </summary>
public sealed class GitLabCertificateTrust
{
    private readonly X509Certificate2Collection _anchors = [];
    private readonly X509Certificate2Collection _intermediates = [];

    public GitLabCertificateTrust(IOptions<GitLabClientOptions> options)
    {
        if (options.Value.CaBundle is { Length: > 0 } path && !string.IsNullOrWhiteSpace(path))
        {
            // Self-signed certificates are the roots to trust; any other in the bundle helps build the chain to them.
            foreach (var certificate in Load(path.Trim()))
            {
                (certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) ? _anchors : _intermediates).Add(certificate);
            }
        }
    }

    /// <summary>True when a CA bundle is configured (and so GitLab's certificate may also chain to it).</summary>
    public bool HasBundle => _anchors.Count + _intermediates.Count > 0;

    /// <summary>What is wrong with the bundle file (for the options validation), or null when it holds certificates.</summary>
    public static string? Check(string path)
    {
        var full = Path.GetFullPath(path.Trim());
        if (!File.Exists(full))
        {
            return $"the CA bundle {full} does not exist: name a PEM file with the certificate(s) of the CA that issued GitLab's certificate";
        }
        try
        {
            return Load(full).Count == 0
                ? $"the CA bundle {full} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                : null;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"the CA bundle {full} cannot be read: {e.Message}";
        }
    }

    /// <summary>Lets the GitLab client's primary handler accept a certificate issued by the bundle's CAs.</summary>
    public void Apply(HttpMessageHandler handler)
    {
        if (!HasBundle)
        {
            return;
        }
        switch (handler)
        {
            case HttpClientHandler client:
                client.ServerCertificateCustomValidationCallback = (_, certificate, chain, errors) => Validate(certificate, chain, errors);
                break;
            case SocketsHttpHandler sockets:
                sockets.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    Validate(certificate as X509Certificate2 ?? (certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())), chain, errors);
                break;
        }
    }

    /// <summary>True when the failure is GitLab's certificate being refused (untrusted CA, wrong name, expired).</summary>
    public static bool IsCertificateFailure(Exception? e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return true;
            }
        }
        return false;
    }

    private bool Validate(X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        // Only an unknown issuer is ours to settle: a name mismatch or a missing certificate stays refused.
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_anchors);
        custom.ChainPolicy.ExtraStore.AddRange(_intermediates);
        // The intermediates GitLab itself presented, as the system's validation used them.
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        // As SslStream's own default: no revocation check (an internal CA's CRL is often not reachable from the bot).
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(certificate);
    }

    private static X509Certificate2Collection Load(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        return certificates;
    }
}
