using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace GitLabMrBot.TestGitLab.Api;

internal sealed partial class GitLabApi
{
    /// <summary>
    /// <c>GET /projects/:id/repository/files/:file_path?ref=</c> as GitLab's lib/api/files.rb answers it: <c>ref</c> is
    /// required (Grape's 400 "ref is missing"), an unknown ref is 404 Commit Not Found, an absent file 404 File Not Found;
    /// the body is the blob's metadata (git blob id, the commit, size) with the content base64-encoded, and each metadata
    /// value is also an <c>X-Gitlab-*</c> header (API::Helpers::HeadersHelpers#set_http_headers).
    /// </summary>
    private ApiResult FileWithContent(ApiRequest r)
    {
        var project = Project(r);
        var gitRef = r.Params.String("ref");
        if (string.IsNullOrEmpty(gitRef))
        {
            return ApiResult.Error(400, "ref is missing");
        }
        var commit = state.FindCommit(project, gitRef) ?? throw ApiResult.NotFound("Commit");
        var path = r["file_path"];
        if (!commit.Files.TryGetValue(path, out var text))
        {
            throw ApiResult.NotFound("File");
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        var metadata = new JsonObject
        {
            ["file_name"] = path[(path.LastIndexOf('/') + 1)..],
            ["file_path"] = path,
            ["size"] = bytes.Length,
            ["encoding"] = "base64",
            ["content_sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            ["ref"] = gitRef,
            ["blob_id"] = BlobId(bytes),
            ["commit_id"] = commit.Sha,
            ["last_commit_id"] = commit.Sha,
            ["execute_filemode"] = false,
        };
        var result = ApiResult.Ok(metadata);
        foreach (var (name, value) in metadata)
        {
            // file_name → X-Gitlab-File-Name, as Rails' dasherize + titleize of the key.
            var header = "X-Gitlab-" + string.Join('-', name.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
            result.Headers[header] = value!.ToString();
        }
        metadata["content"] = Convert.ToBase64String(bytes);
        return result;
    }

    /// <summary>Git's blob id: SHA-1 of <c>"blob &lt;length&gt;\0"</c> and the content, so equal content has equal ids as in git.</summary>
    private static string BlobId(byte[] content)
    {
#pragma warning disable CA5350 // git names objects by SHA-1: an identifier, not a security measure
        return Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
#pragma warning restore CA5350
    }
}
