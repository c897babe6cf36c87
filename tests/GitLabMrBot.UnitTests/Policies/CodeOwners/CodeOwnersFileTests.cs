using GitLabMrBot.Policies.CodeOwners;
using static GitLabMrBot.UnitTests.Policies.CodeOwners.CodeOwnersAssert;

namespace GitLabMrBot.UnitTests.Policies.CodeOwners;

/// <summary>Edge cases of GitLab's parser and matcher beyond the documentation's examples.</summary>
public sealed class CodeOwnersFileTests
{
    private const string Default = CodeOwnersFile.DefaultSectionName;

    [Fact]
    public void Lookup_order_is_root_then_docs_then_dot_gitlab() =>
        Assert.Equal(["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"], CodeOwnersFile.LookupOrder);

    [Fact]
    public void Comment_and_blank_lines_are_skipped_but_escaped_hash_is_a_pattern()
    {
        var file = File("# comment @someone", "   ", @"\#file_with_pound.rb @pound", "  # indented comment");

        var entry = Assert.Single(file.Sections[0].Entries);
        Assert.Equal("/**/#file_with_pound.rb", entry.NormalizedPattern);
        Owns(file, "#file_with_pound.rb", $"{Default}: @pound");
        Owns(file, "lib/#file_with_pound.rb", $"{Default}: @pound");
        Assert.Empty(file.Warnings);
    }

    [Theory]
    [InlineData("*", "/**/*")]
    [InlineData("*.rb", "/**/*.rb")]
    [InlineData("README.md", "/**/README.md")]
    [InlineData("/README.md", "/README.md")]
    [InlineData("/docs/", "/docs/**/*")]
    [InlineData("docs/", "/**/docs/**/*")]
    [InlineData("/docs/*", "/docs/*")]
    [InlineData("**/generated/", "/**/**/generated/**/*")]
    [InlineData(@"my\ dir/", "/**/my dir/**/*")]
    [InlineData(@"\#notes", "/**/#notes")]
    public void Patterns_normalize_like_gitlab(string pattern, string normalized) =>
        Assert.Equal(normalized, CodeOwnersFile.NormalizePattern(pattern));

    [Fact]
    public void Pattern_without_trailing_slash_names_a_file_not_a_directory()
    {
        var file = File("docs @docs");

        Owns(file, "docs", $"{Default}: @docs");
        Owns(file, "ee/docs", $"{Default}: @docs");
        Owns(file, "docs/index.md");
    }

    [Fact]
    public void Star_does_not_cross_directories_and_globstar_does()
    {
        var file = File("/app/*.rb @flat", "/lib/**/*.rb @deep");

        Owns(file, "app/a.rb", $"{Default}: @flat");
        Owns(file, "app/models/a.rb");
        Owns(file, "lib/a.rb", $"{Default}: @deep");
        Owns(file, "lib/x/y/a.rb", $"{Default}: @deep");
    }

    [Fact]
    public void Matching_is_case_sensitive_and_paths_may_start_with_a_slash()
    {
        var file = File("README.md @docs");

        Owns(file, "/README.md", $"{Default}: @docs");
        Owns(file, "readme.md");
    }

    [Fact]
    public void Repeated_pattern_keeps_the_first_position_with_the_last_owners()
    {
        // GitLab keys rules by normalized pattern in a Ruby hash: re-assigning a key keeps its place.
        var file = File("*.rb @first", "/app/x.rb @specific", "*.rb @last");

        Assert.Equal(["*.rb", "/app/x.rb"], file.Sections[0].Entries.Select(e => e.Pattern));
        Owns(file, "app/x.rb", $"{Default}: @specific");
        Owns(file, "lib/y.rb", $"{Default}: @last");
        Assert.Equal(3, Assert.Single(file.Match("lib/y.rb")).Line);
    }

    [Fact]
    public void Exclusion_anywhere_in_the_section_silences_it_even_before_a_later_match()
    {
        var file = File("[A]", "!/vendor/", "/vendor/keep.rb @a", "[B]", "/vendor/keep.rb @b");

        Owns(file, "vendor/keep.rb", "B: @b");
    }

    [Fact]
    public void Exclusion_owners_are_ignored()
    {
        var file = File("!*.lock @someone");

        var entry = Assert.Single(file.Sections[0].Entries);
        Assert.True(entry.IsExclusion);
        Assert.Empty(entry.Owners);
        Assert.Equal("*.lock", entry.Pattern);
        Owns(file, "Gemfile.lock");
    }

    [Fact]
    public void Section_names_merge_case_insensitively_keeping_the_first_spelling()
    {
        var file = File("[Backend] @be", "*.go", "[Frontend]", "*.ts @fe", "[BACKEND]", "*.rb @ruby");

        Assert.Equal([Default, "Backend", "Frontend"], file.Sections.Select(s => s.Name));
        Owns(file, "x.rb", "Backend: @ruby");
        Owns(file, "x.go", "Backend: @be");
    }

    [Fact]
    public void Rules_under_a_repeated_header_use_that_headers_default_owners()
    {
        var file = File("[Docs] @first", "*.md", "[Other]", "x @o", "[docs] @second", "*.txt");

        Owns(file, "a.md", "Docs: @first");
        Owns(file, "a.txt", "Docs: @second");
    }

    [Fact]
    public void Header_text_after_the_brackets_is_allowed_and_non_owner_text_warns()
    {
        var file = File("[Docs] docs-team", "*.md");

        Assert.Equal(CodeOwnersWarningKind.InvalidSectionOwnerFormat, file.Warnings[0].Kind);
        Assert.Equal(1, file.Warnings[0].Line);
        Assert.False(Assert.Single(file.Match("a.md")).Owners.Any());
    }

    [Fact]
    public void Empty_section_name_warns_and_still_opens_a_section()
    {
        var file = File("[]", "*.md @a");

        Assert.Contains(file.Warnings, w => w.Kind == CodeOwnersWarningKind.MissingSectionName && w.Line == 1);
        Assert.Equal("", Assert.Single(file.Match("a.md")).Section);
    }

    [Fact]
    public void Optional_section_with_approvals_warns_and_requires_none()
    {
        var file = File("^[Docs][3]", "*.md @a");

        Assert.Equal(CodeOwnersWarningKind.InvalidApprovalRequirement, Assert.Single(file.Warnings).Kind);
        Assert.Equal(0, Assert.Single(file.Match("a.md")).ApprovalsRequired);
    }

    [Fact]
    public void A_line_starting_with_a_bracket_expression_is_a_header_as_in_gitlab()
    {
        // GitLab's header regex is not anchored at the end: '[Tt]ests/ @qa' opens a section named "Tt".
        var file = File("[Tt]ests/ @qa", "*.rb @ruby");

        Assert.Equal([Default, "Tt"], file.Sections.Select(s => s.Name));
        Owns(file, "a.rb", "Tt: @ruby");
    }

    [Fact]
    public void Bracket_expressions_inside_a_pattern_match_one_character()
    {
        var file = File("/[Ss]pec/ @qa");

        Owns(file, "spec/a.rb", $"{Default}: @qa");
        Owns(file, "Spec/a.rb", $"{Default}: @qa");
        Owns(file, "xpec/a.rb");
    }

    [Theory]
    [InlineData("@user", CodeOwnerKind.Name, "user")]
    [InlineData("@group/sub/team", CodeOwnerKind.Name, "group/sub/team")]
    [InlineData("@user.name-1", CodeOwnerKind.Name, "user.name-1")]
    [InlineData("jane.doe@example.com", CodeOwnerKind.Email, "jane.doe@example.com")]
    [InlineData("@@developer", CodeOwnerKind.Role, "developer")]
    [InlineData("@@OWNER", CodeOwnerKind.Role, "owner")]
    [InlineData("@@maintainers", CodeOwnerKind.Role, "maintainer")]
    public void Owner_references_are_typed(string written, CodeOwnerKind kind, string value) =>
        Assert.Equal(new CodeOwner(kind, value), Assert.Single(Assert.Single(File($"x {written}").Match("x")).Owners));

    [Theory]
    [InlineData("user")]
    [InlineData("@@reporter")]
    [InlineData("@@")]
    [InlineData("@-dash")]
    [InlineData("#")]
    public void Malformed_owners_are_ignored_with_a_warning(string written)
    {
        var file = File($"x @ok {written}");

        Assert.Equal(["ok"], Assert.Single(file.Match("x")).Owners.Select(o => o.Value));
        Assert.Equal(CodeOwnersWarningKind.MalformedEntryOwner, Assert.Single(file.Warnings).Kind);
    }

    [Fact]
    public void Duplicate_owners_on_a_line_are_listed_once()
    {
        var file = File("x @a @A @a jane@x.io JANE@x.io @@developer @@developers");

        Assert.Equal(["@a", "jane@x.io", "@@developer"], Assert.Single(file.Match("x")).Owners.Select(o => o.ToString()));
    }

    [Fact]
    public void Windows_line_endings_and_tabs_are_handled()
    {
        var file = CodeOwnersFile.Parse("[Docs]\r\n*.md\t@docs\r\n\r\n/app/ @app\r\n");

        Owns(file, "a.md", "Docs: @docs");
        Owns(file, "app/x.cs", "Docs: @app");
        Assert.Equal(4, Assert.Single(file.Match("app/x.cs")).Line);
        Assert.Empty(file.Warnings);
    }

    [Fact]
    public void Empty_file_matches_nothing()
    {
        Assert.True(CodeOwnersFile.Empty.IsEmpty);
        Assert.Empty(CodeOwnersFile.Empty.Match("a.rb"));
        Assert.True(File("# only a comment", "[Section]").IsEmpty);
    }

    [Fact]
    public void Match_all_keeps_the_order_of_the_paths()
    {
        var file = File("*.md @docs", "*.rb @ruby");

        var result = file.MatchAll(["b.rb", "a.md", "c.txt"]);

        Assert.Equal(["b.rb", "a.md", "c.txt"], result.Select(r => r.Path));
        Assert.Equal(["@ruby"], result[0].Matches.SelectMany(m => m.Owners).Select(o => o.ToString()));
        Assert.Equal(["@docs"], result[1].Matches.SelectMany(m => m.Owners).Select(o => o.ToString()));
        Assert.Empty(result[2].Matches);
    }

    [Fact]
    public void Garbage_input_never_throws()
    {
        var random = new Random(1234);
        const string alphabet = "[]^!@#\\ \t*?/.-_aZ0\r\n{}";
        for (var i = 0; i < 300; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 200)).Select(_ => alphabet[random.Next(alphabet.Length)])]);

            var file = CodeOwnersFile.Parse(text);

            foreach (var path in new[] { "a", "a/b.c", ".x/[y]/*", "/" })
            {
                Assert.Equal(file.MatchByFullScan(path), file.Match(path));
            }
        }
    }
}
