using GitLabMrBot.Policies.CodeOwners;

namespace GitLabMrBot.UnitTests.Policies.CodeOwners;

/// <summary>The indexed matcher must give exactly what GitLab's test-every-rule algorithm gives.</summary>
public sealed class CodeOwnersIndexTests
{
    private static readonly string[] Directories = ["app", "lib", "docs", "spec", "config", "models", "api", "v1", ".github", "generated", "db"];
    private static readonly string[] Names = ["README.md", "index.md", "user.rb", "main.go", "a.ts", ".gitignore", "Makefile", "x.tar.gz", "spec_helper.rb", "routes.rb"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Indexed_matching_agrees_with_testing_every_rule(int seed)
    {
        var random = new Random(seed);
        var lines = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            if (random.Next(25) == 0)
            {
                lines.Add(random.Next(3) == 0 ? $"^[S{random.Next(5)}]" : $"[s{random.Next(5)}] @default{i}");
            }

            lines.Add($"{RandomPattern(random)} @owner{i}");
        }

        var file = CodeOwnersFile.Parse(string.Join('\n', lines));
        var paths = Enumerable.Range(0, 400).Select(_ => RandomPath(random)).ToList();

        var all = file.MatchAll(paths);

        var matched = 0;
        for (var i = 0; i < paths.Count; i++)
        {
            Assert.Equal(file.MatchByFullScan(paths[i]), all[i].Matches);
            matched += all[i].Matches.Count;
        }

        Assert.True(matched > paths.Count / 2, $"only {matched} matches: the random file is too sparse to test anything");
    }

    private static string RandomPattern(Random random)
    {
        var prefix = random.Next(4) == 0 ? "!" : "";
        var anchor = random.Next(2) == 0 ? "/" : "";
        var depth = random.Next(0, 3);
        var parts = Enumerable.Range(0, depth).Select(_ => random.Next(6) switch
        {
            0 => "*",
            1 => "**",
            _ => Directories[random.Next(Directories.Length)],
        });
        var dir = string.Join('/', parts);
        var last = random.Next(9) switch
        {
            0 => "",
            1 => "*",
            2 => "*.rb",
            3 => "*.md",
            4 => "*spec*",
            5 => "[a-m]*",
            6 => "index.*",
            _ => Names[random.Next(Names.Length)],
        };
        var pattern = dir.Length == 0 ? last : last.Length == 0 ? dir + "/" : dir + "/" + last;
        return pattern.Length == 0 ? "*" : prefix + anchor + pattern;
    }

    private static string RandomPath(Random random)
    {
        var depth = random.Next(0, 4);
        var parts = Enumerable.Range(0, depth).Select(_ => Directories[random.Next(Directories.Length)]).Append(Names[random.Next(Names.Length)]);
        return string.Join('/', parts);
    }
}
