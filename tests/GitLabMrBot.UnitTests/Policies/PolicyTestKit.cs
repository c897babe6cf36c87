using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Builders shared by the policy tests: configs from JSON text, MR snapshots with defaults.</summary>
internal static class PolicyTestKit
{
    public static CompiledConfig Compile(string json, TimeSpan? regexTimeout = null)
    {
        var result = PolicyConfigLoader.Load(json, "test.json", regexTimeout);
        Assert.True(result.IsValid, result.IsValid ? "" : result.Describe("test.json"));
        return result.Config!;
    }

    /// <summary>A config with one policy "p" whose <c>when</c> is <paramref name="when"/> and that adds label "hit".</summary>
    public static CompiledConfig OnePolicy(string when) =>
        Compile($$"""{ "policies": [ { "name": "p", "when": {{when}}, "then": { "addLabels": ["hit"] } } ] }""");

    public static MergeRequestSnapshot Mr(
        string title = "Some change",
        string description = "",
        string source = "topic",
        string target = "main",
        string author = "alice",
        bool draft = false,
        string state = "opened",
        string[]? labels = null,
        ChangedFile[]? files = null,
        string[]? commits = null,
        string[]? botAdded = null,
        string[]? humanRemoved = null,
        string? mergeStatus = "mergeable") =>
        new()
        {
            ProjectId = 7,
            Iid = 42,
            Title = title,
            Description = description,
            SourceBranch = source,
            TargetBranch = target,
            AuthorUsername = author,
            AuthorId = 3,
            Draft = draft,
            State = state,
            Labels = labels ?? [],
            ChangedFiles = files ?? [],
            CommitMessages = commits ?? [],
            DetailedMergeStatus = mergeStatus,
            HasConflicts = mergeStatus == "conflict",
            WebUrl = "https://gitlab.example.com/g/p/-/merge_requests/42",
            Provenance = LabelProvenance.Of(botAdded, humanRemoved),
        };

    public static ChangedFile File(string path, int added = 1, int deleted = 0) => new(path, added, deleted);

    public static bool Matches(string when, MergeRequestSnapshot mr) =>
        PolicyEngine.Evaluate(mr, OnePolicy(when)).LabelsToAdd.Any(l => l.Label == "hit");

    public static string[] Added(Plan plan) => plan.LabelsToAdd.Select(l => l.Label).ToArray();

    public static string[] Removed(Plan plan) => plan.LabelsToRemove.Select(l => l.Label).ToArray();

    /// <summary>The repository root (holds GitLabMrBot.sln), found above the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (System.IO.File.Exists(Path.Combine(dir.FullName, "GitLabMrBot.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("GitLabMrBot.sln not found above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>Waits for a condition instead of sleeping: polls until true or fails after the timeout.</summary>
internal static class Eventually
{
    public static async Task Until(Func<bool> condition, string because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                Assert.Fail($"timed out after {limit} waiting until {because}");
            }
            await Task.Delay(20); // a polling interval, not a synchronization
        }
    }
}
