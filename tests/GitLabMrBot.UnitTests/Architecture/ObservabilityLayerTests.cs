using GitLabMrBot.GitLab;
using NetArchTest.Rules;

namespace GitLabMrBot.UnitTests.Architecture;

/// <summary>Issue 13: every layer records to the telemetry; the telemetry itself knows only the queue's records and the events.</summary>
public sealed class ObservabilityLayerTests
{
    private const string Root = "GitLabMrBot";

    [Fact]
    public void Observability_knows_no_GitLab_calls_policies_processing_webhooks_or_storage()
    {
        var result = Types.InAssembly(typeof(PlanExecutor).Assembly).That().ResideInNamespace($"{Root}.Observability")
            .ShouldNot().HaveDependencyOnAny($"{Root}.GitLab", $"{Root}.Policies", $"{Root}.Processing", $"{Root}.Webhooks", $"{Root}.Storage", $"{Root}.Configuration", $"{Root}.Cli")
            .GetResult();
        Assert.True(result.IsSuccessful, $"Observability is a leaf; offending types: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }
}
