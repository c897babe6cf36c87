using System.Text.Json.Nodes;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>
/// The emulator's webhook bodies must carry the same fields as GitLab's documented examples (tests/Payloads/,
/// docs/gitlab-behaviour.md §2.4). Key paths are compared recursively (arrays by the union of their elements' keys).
/// <c>changes</c> is compared only at the top: its members depend on what changed.
/// Intentional differences, each because current GitLab sends it and the older documented example lacks it:
/// Note and Push <c>project.ci_config_path</c>, Note <c>merge_request.last_commit.title</c>,
/// Push <c>message</c> and <c>push_options</c> (Gitlab::DataBuilder::Push).
/// </summary>
public sealed class PayloadKeySetTests : GitLabTestBase
{
    private static readonly string[] NoteExtras = ["project.ci_config_path", "merge_request.last_commit.title"];
    private static readonly string[] PushExtras = ["project.ci_config_path", "message", "push_options"];

    [Fact]
    public async Task Merge_request_hook_has_the_fields_of_the_documented_example()
    {
        var mr = OpenMr(labels: ["API"]);
        Server.UpdateMergeRequest(Alice, mr, new MergeRequestUpdate
        {
            Title = "MS-Viewport",
            AddLabels = ["Platform"],
            Assignees = [Bob],
            Reviewers = [Bob],
        });
        await Server.WaitForDeliveriesAsync();

        var produced = Server.Deliveries.Last(d => d.Event == "Merge Request Hook").Payload;

        AssertSameKeys("merge_request.json", produced, []);
        var labels = produced["changes"]!["labels"]!.AsObject();
        Assert.Equal(["previous", "current"], labels.Select(kv => kv.Key));
    }

    [Fact]
    public async Task Note_hook_has_the_fields_of_the_documented_example()
    {
        var mr = OpenMr(labels: ["Element"]);
        Server.UpdateMergeRequest(Alice, mr, new MergeRequestUpdate { Assignees = [Bob] });
        Server.AddNote(Bob, mr, "This MR needs work.");
        await Server.WaitForDeliveriesAsync();

        var produced = Server.Deliveries.Last(d => d.Event == "Note Hook").Payload;

        AssertSameKeys("note_mr.json", produced, NoteExtras);
    }

    [Fact]
    public async Task Push_hook_has_the_fields_of_the_documented_example()
    {
        Server.Push(Alice, Project, "main", new Dictionary<string, string?> { ["CHANGELOG"] = "v1\n", ["web/app.css"] = "a {}\n" }, "fixed readme");
        await Server.WaitForDeliveriesAsync();

        var produced = Server.Deliveries.Last(d => d.Event == "Push Hook").Payload;

        AssertSameKeys("push.json", produced, PushExtras);
    }

    private static void AssertSameKeys(string exampleFile, JsonObject produced, string[] allowedExtras)
    {
        var example = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Payloads", exampleFile)))!.AsObject();
        var expected = KeyPaths(example);
        var actual = KeyPaths(produced);

        var missing = expected.Except(actual).Order().ToList();
        var extra = actual.Except(expected).Except(allowedExtras).Order().ToList();

        Assert.True(missing.Count == 0, $"missing from the emulator's {exampleFile}: {string.Join(", ", missing)}");
        Assert.True(extra.Count == 0, $"not in {exampleFile}: {string.Join(", ", extra)}");
        // The sections the brief names, checked on their own for a readable failure.
        foreach (var section in new[] { "object_attributes", "project", "user" }.Where(s => example.ContainsKey(s)))
        {
            Assert.Equal(
                expected.Where(k => k.StartsWith(section + ".", StringComparison.Ordinal)).Order(),
                actual.Where(k => k.StartsWith(section + ".", StringComparison.Ordinal)).Except(allowedExtras).Order());
        }

        Assert.Equal(example.Select(kv => kv.Key).Order(), produced.Select(kv => kv.Key).Except(allowedExtras).Order());
    }

    private static HashSet<string> KeyPaths(JsonObject root)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        Walk(root, "", paths);
        return paths;
    }

    private static void Walk(JsonNode? node, string prefix, HashSet<string> paths)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
                    paths.Add(path);
                    if (path != "changes")
                    {
                        Walk(value, path, paths);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Walk(item, prefix + "[]", paths);
                }

                break;
        }
    }
}
