using GitLabMrBot.GitLab;
using NetArchTest.Rules;

namespace GitLabMrBot.UnitTests.Architecture;

/// <summary>
/// The folders follow the flow of a delivery (Events → Webhooks → Inbox → Processing → Policies → GitLab), and
/// these rules keep it that way: each fails, naming the offending types, when a forbidden reference creeps in.
/// </summary>
public sealed class LayerTests
{
    private const string Root = "GitLabMrBot";
    private static readonly System.Reflection.Assembly Bot = typeof(PlanExecutor).Assembly;

    private static readonly string[] OurFolders = ["Webhooks", "Inbox", "Storage", "Processing", "Policies", "Configuration", "GitLab", "Cli", "Health"];

    private static Types All => Types.InAssembly(Bot);

    private static void AssertHolds(TestResult result, string rule)
    {
        var offenders = result.FailingTypeNames ?? [];
        Assert.True(result.IsSuccessful, $"{rule}; offending types: {string.Join(", ", offenders)}");
    }

    [Fact]
    public void Policies_decide_without_GitLab_storage_inbox_or_processing()
    {
        var result = All.That().ResideInNamespace($"{Root}.Policies")
            .ShouldNot().HaveDependencyOnAny($"{Root}.GitLab", $"{Root}.Storage", $"{Root}.Inbox", $"{Root}.Processing", $"{Root}.Webhooks", $"{Root}.Configuration")
            .GetResult();
        AssertHolds(result, "Policies must be pure decisions");
    }

    [Fact]
    public void Webhooks_know_nothing_of_GitLab_calls_policies_or_processing()
    {
        var result = All.That().ResideInNamespace($"{Root}.Webhooks")
            .ShouldNot().HaveDependencyOnAny($"{Root}.GitLab", $"{Root}.Policies", $"{Root}.Processing")
            .GetResult();
        AssertHolds(result, "Webhooks only authenticate, route and store");
    }

    [Fact]
    public void Events_depend_on_nothing_of_ours()
    {
        var ours = OurFolders.Select(n => $"{Root}.{n}").ToArray();
        var result = All.That().ResideInNamespace($"{Root}.Events")
            .ShouldNot().HaveDependencyOnAny(ours)
            .GetResult();
        AssertHolds(result, "Events are plain records");
    }

    [Fact]
    public void Inbox_is_a_generic_queue_that_knows_no_policies_or_processing()
    {
        var result = All.That().ResideInNamespace($"{Root}.Inbox")
            .ShouldNot().HaveDependencyOnAny($"{Root}.Policies", $"{Root}.Processing", $"{Root}.GitLab")
            .GetResult();
        AssertHolds(result, "The inbox is a queue");
    }

    [Fact]
    public void Only_the_plan_executor_writes_to_merge_requests()
    {
        // The client implements the writer and the DI extension registers it; every other type must go through the executor.
        var result = All.That()
            .DoNotHaveName(nameof(PlanExecutor), nameof(GitLabClient), nameof(GitLabServiceCollectionExtensions))
            .ShouldNot().HaveDependencyOn(typeof(IMergeRequestWriter).FullName)
            .GetResult();
        AssertHolds(result, "Only PlanExecutor may write to merge requests");
    }

    [Fact]
    public void Only_the_GitLab_folder_talks_to_the_raw_API()
    {
        // Refit generates its implementation of the interface in its own namespace.
        var result = All.That().DoNotResideInNamespace($"{Root}.GitLab").And().DoNotResideInNamespace("Refit.Implementation")
            .ShouldNot().HaveDependencyOn(typeof(IGitLabApi).FullName)
            .GetResult();
        AssertHolds(result, "The Refit API is wrapped by GitLabClient");
    }

    [Fact]
    public void Only_the_command_line_administers_hooks()
    {
        var result = All.That().DoNotResideInNamespace($"{Root}.GitLab").And().DoNotResideInNamespace($"{Root}.Cli")
            .ShouldNot().HaveDependencyOn(typeof(IHookAdmin).FullName)
            .GetResult();
        AssertHolds(result, "Hooks are installed from the command line only");
    }

    [Fact]
    public void Item2_only_the_demo_knows_the_simulated_GitLab()
    {
        // Issue 15: the simulation ships for `demo`; serve (BotApplication, DI, Carter's modules) must never reach it.
        var result = All.That().DoNotResideInNamespace($"{Root}.Cli.Demo")
            .ShouldNot().HaveDependencyOn("GitLabMrBot.TestGitLab")
            .GetResult();
        AssertHolds(result, "Only Cli/Demo may use the simulated GitLab");
    }
}
