using System.Text.Json;

namespace GitLabMrBot.Cli;

/// <summary>
/// Doctor's "config valid" check: the errors in the policy file at a path, empty when it is valid.
/// A seam so doctor reports exactly what <c>serve</c> and <c>validate</c> would.
/// </summary>
public interface IConfigCheck
{
    IReadOnlyList<string> Check(string path);
}

/// <summary>
/// Interim check until doctor is wired to the policy config loader: the file must parse as a JSON object
/// (with the same comment and trailing-comma tolerance the settings loader uses). Reports the line of a syntax error.
/// </summary>
public sealed class JsonSyntaxConfigCheck : IConfigCheck
{
    public IReadOnlyList<string> Check(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? []
                : [$"$: the file must hold a JSON object, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}"];
        }
        catch (JsonException e)
        {
            var line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
            // The parser's message ends with its own zero-based "LineNumber: … | BytePositionInLine: …".
            var message = e.Message.Split(" LineNumber:", 2)[0].Trim();
            return [$"{e.Path ?? "$"}{line}: not valid JSON: {message}"];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [$"cannot be read: {e.Message}"];
        }
    }
}
