using System.Text;
using System.Text.Json;

namespace GitLabMrBot.TestGitLab;

/// <summary>
/// One API request the emulator received. <see cref="Action"/> reads like prow's fake client:
/// <c>PUT /projects/1/merge_requests/2 add_labels=frontend,size::S</c> (path relative to <c>/api/v4</c>,
/// then every query and body parameter in the order sent; arrays joined with commas).
/// </summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string Query,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyList<KeyValuePair<string, string>> Parameters,
    int Status,
    string? Fault,
    DateTimeOffset ReceivedAt)
{
    public bool IsWrite => Method is not ("GET" or "HEAD");

    public string Action
    {
        get
        {
            var sb = new StringBuilder(Method).Append(' ').Append(Path);
            foreach (var (key, value) in Parameters)
            {
                sb.Append(' ').Append(key).Append('=').Append(value);
            }

            return sb.ToString();
        }
    }

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public override string ToString() => $"{Action} → {(Fault is null ? Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : Fault)}";

    /// <summary>Flattens a query string and a JSON or form body into ordered name/value pairs.</summary>
    internal static List<KeyValuePair<string, string>> Flatten(IEnumerable<KeyValuePair<string, string>> query, JsonElement? json, IEnumerable<KeyValuePair<string, string>> form)
    {
        var list = query.ToList();
        if (json is { ValueKind: JsonValueKind.Object } obj)
        {
            foreach (var p in obj.EnumerateObject())
            {
                list.Add(new(p.Name, Text(p.Value)));
            }
        }

        list.AddRange(form);
        return list;
    }

    private static string Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Array => string.Join(",", e.EnumerateArray().Select(Text)),
        JsonValueKind.Null => "",
        _ => e.GetRawText(),
    };
}
