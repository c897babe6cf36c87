using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class PolicyConfigProviderTests : IDisposable
{
    private const string ConfigA = """{ "policies": [ { "name": "a", "when": { "draft": true }, "then": { "addLabels": ["a"] } } ] }""";
    private const string ConfigB = """{ "policies": [ { "name": "b", "when": { "draft": true }, "then": { "addLabels": ["b"] } } ] }""";

    private readonly string _directory = Directory.CreateTempSubdirectory("mrbot-policies-").FullName;

    private string ConfigPath => Path.Combine(_directory, "bot.config.json");

    private PolicyConfigProvider NewProvider() =>
        new(ConfigPath, TimeProvider.System, NullLogger<PolicyConfigProvider>.Instance,
            new PolicyConfigProviderOptions { Debounce = TimeSpan.FromMilliseconds(50) });

    [Fact]
    public async Task Invalid_edit_keeps_the_previous_config_and_a_valid_one_is_swapped_in()
    {
        await File.WriteAllTextAsync(ConfigPath, ConfigA);
        using var provider = NewProvider();
        Assert.True(provider.Start().IsValid);
        Assert.True(provider.IsLoaded);
        Assert.Equal("a", provider.Current.Policies[0].Name);

        await File.WriteAllTextAsync(ConfigPath, """{ "policies": [ { "name": "a", "when": { "title": "(" }, "then": { "addLabels": ["a"] } } ] }""");
        // A watcher can fire mid-write (a truncated file is invalid too): wait for the complete edit's error.
        await Eventually.Until(() => provider.LastErrors.Any(e => e.Path == "$.policies[0].when.title"), "the invalid edit was read");

        Assert.Equal("a", provider.Current.Policies[0].Name);
        Assert.True(provider.ReloadAttempts >= 1);

        await File.WriteAllTextAsync(ConfigPath, ConfigB);
        await Eventually.Until(() => provider.Current.Policies[0].Name == "b", "the valid edit was swapped in");

        Assert.Empty(provider.LastErrors);
    }

    [Fact]
    public async Task Polling_alone_notices_an_edit()
    {
        // As on a mount whose edits the watcher never hears about.
        await File.WriteAllTextAsync(ConfigPath, ConfigA);
        using var provider = new PolicyConfigProvider(ConfigPath, TimeProvider.System, NullLogger<PolicyConfigProvider>.Instance,
            new PolicyConfigProviderOptions { Debounce = TimeSpan.FromMilliseconds(50), UseFileSystemWatcher = false });
        Assert.True(provider.Start().IsValid);
        var reloaded = new TaskCompletionSource<CompiledConfig>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Reloaded += (_, config) => reloaded.TrySetResult(config);

        await File.WriteAllTextAsync(ConfigPath, ConfigB);

        var config = await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("b", config.Policies[0].Name);
        Assert.Same(config, provider.Current);
    }

    [Fact]
    public async Task Reload_of_unchanged_content_keeps_the_same_instance()
    {
        await File.WriteAllTextAsync(ConfigPath, ConfigA);
        using var provider = NewProvider();
        provider.Start();
        var before = provider.Current;

        provider.Reload();

        Assert.Same(before, provider.Current);
    }

    [Fact]
    public async Task Invalid_config_at_start_lists_every_error_and_is_not_loaded()
    {
        await File.WriteAllTextAsync(ConfigPath, """{ "dryRun": 1, "labels": { "x": "red" } }""");
        using var provider = NewProvider();

        var result = provider.Start();

        Assert.False(result.IsValid);
        Assert.False(provider.IsLoaded);
        var failure = Assert.Throws<InvalidOperationException>(() => provider.Current);
        Assert.Contains("$.dryRun (line 1)", failure.Message);
        Assert.Contains("$.labels.x (line 1)", failure.Message);
    }

    [Fact]
    public async Task Host_refuses_to_start_with_an_invalid_config()
    {
        await File.WriteAllTextAsync(ConfigPath, """{ "policies": [ { "name": "x" } ] }""");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["MRBOT_CONFIG"] = ConfigPath;
        builder.Services.AddPolicies(builder.Configuration);
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("missing required property \"when\"", failure.Message);
        Assert.Contains("missing required property \"then\"", failure.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
