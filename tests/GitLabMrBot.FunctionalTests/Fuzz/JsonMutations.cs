using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace GitLabMrBot.FunctionalTests.Fuzz;

/// <summary>One change to a JSON document: drop, retype or replace a node, or set or insert a byte of its text.</summary>
public readonly record struct JsonMutation(int Op, int Target, int Choice, byte Byte)
{
    public override string ToString() => $"{(Op < JsonMutations.Ops.Length ? JsonMutations.Ops[Op] : "?")}@{Target}/{Choice}/{Byte:x2}";
}

/// <summary>
/// Random mutations of real JSON documents for property-based tests (CsCheck): what a fuzzer would send. The mutations are
/// plain numbers, so CsCheck shrinks a failure to the fewest, smallest changes, and a seed replays it exactly.
/// </summary>
public static class JsonMutations
{
    public static readonly string[] Ops = ["drop", "retype", "replace", "set-byte", "insert-byte", "truncate"];

    /// <summary>Values a field is replaced with: every JSON type, edge numbers, and strings GitLab would never send.</summary>
    private static readonly Func<JsonNode?>[] Values =
    [
        () => null,
        () => true,
        () => 0,
        () => -1,
        () => long.MaxValue,
        () => JsonNode.Parse("18446744073709551616"),
        () => JsonNode.Parse("1e400"),
        () => 1.5,
        () => "",
        () => "x",
        () => "7",
        () => "2015-05-17 18:21:36 UTC",
        () => "not a time",
        () => "refs/heads/main",
        () => "@all #1 !1 ~label <!-- -->",
        () => "\u0000\u202e\ud800",
        () => new string('a', 5000),
        () => new JsonArray(),
        () => new JsonArray(1, "x", null),
        () => new JsonObject(),
        () => new JsonObject { ["id"] = 1, ["title"] = "t" },
    ];

    /// <summary>One to four mutations.</summary>
    public static readonly Gen<JsonMutation[]> Gen =
        CsCheck.Gen.Select(CsCheck.Gen.Int[0, Ops.Length - 1], CsCheck.Gen.Int[0, 100_000], CsCheck.Gen.Int[0, 1000], CsCheck.Gen.Byte,
            (op, target, choice, b) => new JsonMutation(op, target, choice, b)).Array[1, 4];

    public static byte[] Apply(byte[] original, IReadOnlyList<JsonMutation> mutations)
    {
        var documentOptions = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var bytes = original;
        foreach (var mutation in mutations)
        {
            if (mutation.Op <= 2)
            {
                try
                {
                    if (JsonNode.Parse(bytes, documentOptions: documentOptions) is not { } root)
                    {
                        continue;
                    }
                    var nodes = new List<JsonNode>();
                    Collect(root, nodes);
                    Mutate(nodes[mutation.Target % nodes.Count], mutation);
                    bytes = Encoding.UTF8.GetBytes(root.ToJsonString());
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException)
                {
                    // An earlier byte mutation broke the JSON or its UTF-8: only byte mutations apply now.
                }
            }
            else if (bytes.Length > 0)
            {
                var at = mutation.Target % bytes.Length;
                bytes = mutation.Op switch
                {
                    3 => [.. bytes[..at], mutation.Byte, .. bytes[(at + 1)..]],
                    4 => [.. bytes[..at], mutation.Byte, .. bytes[at..]],
                    _ => bytes[..at],
                };
            }
        }
        return bytes;
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }
                break;
        }
    }

    private static void Mutate(JsonNode node, JsonMutation mutation)
    {
        var parent = node.Parent;
        if (parent is null)
        {
            return; // The root stays an object: the router's "not an object" answer is covered by the catalogue.
        }
        var replacement = mutation.Op switch
        {
            1 => Values[mutation.Choice % Values.Length](),
            2 => node.GetValueKind() == JsonValueKind.String ? JsonValue.Create(RandomText(mutation)) : Values[mutation.Choice % Values.Length](),
            _ => null,
        };
        switch (parent)
        {
            case JsonObject obj:
                var name = node.GetPropertyName();
                if (mutation.Op == 0)
                {
                    obj.Remove(name);
                }
                else
                {
                    obj[name] = replacement;
                }
                break;
            case JsonArray array:
                var index = node.GetElementIndex();
                if (mutation.Op == 0)
                {
                    array.RemoveAt(index);
                }
                else
                {
                    array[index] = replacement;
                }
                break;
        }
    }

    private static string RandomText(JsonMutation mutation)
    {
        var random = new Random(mutation.Target ^ (mutation.Choice << 8) ^ mutation.Byte);
        var chars = new char[mutation.Choice % 64];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)random.Next(0, 0xFFFF);
        }
        return new string(chars);
    }
}
