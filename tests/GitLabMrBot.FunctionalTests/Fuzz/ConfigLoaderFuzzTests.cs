using CsCheck;
using GitLabMrBot.Configuration;

namespace GitLabMrBot.FunctionalTests.Fuzz;

/// <summary>
/// Property-based fuzzing of the config loader (issue 12): random mutations of the repository's own <c>bot.config.json</c>
/// through <see cref="PolicyConfigLoader"/> (shape check, then <see cref="ConfigCompiler"/>) give either a compiled config
/// and no errors, or no config and a list of errors each with a path and a message; never an unhandled exception.
/// </summary>
public sealed class ConfigLoaderFuzzTests
{
    private static readonly Lazy<byte[]> RepositoryConfig = new(() => File.ReadAllBytes(FindRepositoryFile("bot.config.json")));

    [Fact]
    public void The_unmutated_config_compiles() => Assert.True(PolicyConfigLoader.Load(RepositoryConfig.Value, "bot.config.json").IsValid);

    // The two crashes the fuzzer found (seeds btcgmkt6-uB1 and esWOSlvmHF41), pinned.
    [Fact]
    public void Config_with_invalid_UTF8_in_a_string_is_an_error_with_its_line()
    {
        var json = "{\n  \"labels\": { \"a~b\": \"#112233\" }\n}"u8.ToArray();
        json[json.AsSpan().IndexOf((byte)'~')] = 0xD9;

        var result = PolicyConfigLoader.Load(json, "bot.config.json");

        var error = Assert.Single(result.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_with_a_glob_too_large_to_compile_is_an_error()
    {
        var json = $$"""{ "policies": [ { "name": "p", "when": { "changedFiles": ["{{new string('a', 5000)}}"] }, "then": { "addLabels": ["x"] } } ] }""";

        var result = PolicyConfigLoader.Load(json, "bot.config.json");

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Path.StartsWith("$.policies[0].when.changedFiles", StringComparison.Ordinal) && e.Message.StartsWith("glob too complex", StringComparison.Ordinal));
    }

    [Fact]
    public void Mutated_configs_give_a_config_or_a_clear_error_list_never_an_exception()
    {
        var valid = 0;
        var invalid = 0;
        JsonMutations.Gen.Sample(mutations =>
        {
            var json = JsonMutations.Apply(RepositoryConfig.Value, mutations);

            var result = PolicyConfigLoader.Load(json, "bot.config.json");

            if (result.IsValid)
            {
                Assert.Empty(result.Errors);
                Interlocked.Increment(ref valid);
            }
            else
            {
                Assert.NotEmpty(result.Errors);
                Assert.All(result.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Path) || string.IsNullOrWhiteSpace(e.Message), e.ToString()));
                Assert.Contains("bot.config.json has ", result.Describe("bot.config.json"), StringComparison.Ordinal);
                Interlocked.Increment(ref invalid);
            }
        }, iter: PayloadFuzzTests.Iterations(250), print: m => string.Join(' ', m));

        Assert.True(valid > 0 && invalid > 0, $"{valid} valid, {invalid} invalid");
    }

    private static string FindRepositoryFile(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GitLabMrBot.sln")) && File.Exists(Path.Combine(directory.FullName, name)))
            {
                return Path.Combine(directory.FullName, name);
            }
        }
        throw new FileNotFoundException($"{name} next to GitLabMrBot.sln, above {AppContext.BaseDirectory}");
    }
}
