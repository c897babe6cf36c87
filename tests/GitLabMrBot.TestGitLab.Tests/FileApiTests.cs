using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>
/// <c>GET /projects/:id/repository/files/:file_path?ref=</c> (GitLab's lib/api/files.rb): the file's metadata with its git
/// blob id and base64 content, the same values in <c>X-Gitlab-*</c> headers; <c>ref</c> is required; <c>HEAD</c> is the
/// default branch.
/// </summary>
public sealed class FileApiTests : GitLabTestBase
{
    [Fact]
    public async Task Item1_a_file_answers_its_blob_id_and_base64_content_and_the_blob_id_follows_its_content()
    {
        const string text = "{ \"policies\": [] }\n";
        var commit = Server.Push(Alice, Project, "main", new Dictionary<string, string?> { [".gitlab/mrbot.json"] = text });

        using var response = await Api.GetAsync($"projects/{Project.Id}/repository/files/.gitlab%2Fmrbot.json?ref=HEAD");
        var file = await Json(response);
        // git's blob id: SHA-1 of "blob <length>\0<content>".
#pragma warning disable CA5350 // git names blobs by SHA-1: this is an identifier, not security
        var blobId = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes($"blob {Encoding.UTF8.GetByteCount(text)}\0{text}")));
#pragma warning restore CA5350

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(blobId, (string)file["blob_id"]!);
        Assert.Equal("base64", (string)file["encoding"]!);
        Assert.Equal(text, Encoding.UTF8.GetString(Convert.FromBase64String((string)file["content"]!)));
        Assert.Equal(".gitlab/mrbot.json", (string)file["file_path"]!);
        Assert.Equal("mrbot.json", (string)file["file_name"]!);
        Assert.Equal(commit, (string)file["commit_id"]!);
        Assert.Equal(blobId, response.Headers.GetValues("X-Gitlab-Blob-Id").Single());

        Server.Push(Alice, Project, "main", new Dictionary<string, string?> { [".gitlab/mrbot.json"] = text + " " });
        var changed = await Json(await Api.GetAsync($"projects/{Project.Id}/repository/files/.gitlab%2Fmrbot.json?ref=main"));
        Assert.NotEqual(blobId, (string)changed["blob_id"]!);
    }

    [Fact]
    public async Task Item1_a_missing_file_is_404_File_Not_Found_and_a_missing_ref_is_400()
    {
        using var missing = await Api.GetAsync($"projects/{Project.Id}/repository/files/.mrbot.json?ref=HEAD");
        using var noRef = await Api.GetAsync($"projects/{Project.Id}/repository/files/.mrbot.json");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("404 File Not Found", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, noRef.StatusCode);
        Assert.Contains("ref is missing", await noRef.Content.ReadAsStringAsync());
    }
}
