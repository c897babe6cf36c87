using GitLabMrBot.Policies.CodeOwners;
using static GitLabMrBot.UnitTests.Policies.CodeOwners.CodeOwnersAssert;

namespace GitLabMrBot.UnitTests.Policies.CodeOwners;

/// <summary>
/// Every CODEOWNERS example in GitLab's <c>doc/user/project/codeowners/advanced.md</c>
/// (gitlabhq/gitlabhq @0286e4c628d68960d0ca9e961d82c3ea6ac90633), in the order they appear.
/// Where the page states the outcome in prose, the test asserts exactly that.
/// </summary>
public sealed class AdvancedDocExamplesTests
{
    private const string Default = CodeOwnersFile.DefaultSectionName;

    [Theory]
    [InlineData("config/database.rb", true)]
    [InlineData("app/controllers/users/stars_controller.rb", true)]
    public void Advanced_pattern_matching_globstar_matches_directories_recursively(string path, bool matches) =>
        Assert.Equal(matches, File("**/*.rb @ruby").Match(path).Count == 1);

    [Fact]
    public void Advanced_pattern_matching_star_matches_dotfiles_but_not_the_separator()
    {
        var file = File("/* @root-files");

        Owns(file, ".gitignore", $"{Default}: @root-files");
        Owns(file, "lib/.gitignore");
    }

    [Fact]
    public void Advanced_example_default_owners_and_optional_sections()
    {
        var file = File(
            "[Documentation][2] @docs-team",
            "docs/",
            "README.md",
            "",
            "^[Database] @database-team",
            "model/db/",
            "config/db/database-setup.md @docs-team");

        var docs = Assert.Single(file.Match("docs/install.md"));
        Assert.Equal(("Documentation", 2, false), (docs.Section, docs.ApprovalsRequired, docs.Optional));
        Owns(file, "docs/install.md", "Documentation: @docs-team");
        var db = Assert.Single(file.Match("model/db/user.rb"));
        Assert.Equal(("Database", 0, true), (db.Section, db.ApprovalsRequired, db.Optional));
        Owns(file, "model/db/user.rb", "Database: @database-team");
        Owns(file, "config/db/database-setup.md", "Database: @docs-team");
        Assert.Empty(file.Warnings);
    }

    private static readonly CodeOwnersFile RegularEntriesAndSections = File(
        "# Required for all files",
        "* @general-approvers",
        "",
        "[Documentation] @docs-team",
        "docs/",
        "README.md",
        "*.txt",
        "",
        "[Database] @database-team",
        "model/db/",
        "config/db/database-setup.md @docs-team");

    [Fact]
    public void Advanced_example_regular_entries_are_never_overridden_by_sections()
    {
        Owns(RegularEntriesAndSections, "src/app.cs", $"{Default}: @general-approvers");
        Owns(RegularEntriesAndSections, "docs/a.md", $"{Default}: @general-approvers", "Documentation: @docs-team");
        Owns(RegularEntriesAndSections, "config/db/database-setup.md", $"{Default}: @general-approvers", "Database: @docs-team");
    }

    [Fact]
    public void Advanced_example_regular_entries_model_db_changelog_requires_three_approvals()
    {
        // "A merge request that modifies model/db/CHANGELOG.txt would require three approvals: one from each of
        // the @general-approvers, @docs-team, and @database-team groups."
        var matches = RegularEntriesAndSections.Match("model/db/CHANGELOG.txt");

        Owns(RegularEntriesAndSections, "model/db/CHANGELOG.txt", $"{Default}: @general-approvers", "Documentation: @docs-team", "Database: @database-team");
        Assert.Equal(3, matches.Sum(m => m.ApprovalsRequired));
    }

    [Fact]
    public void Advanced_example_sections_with_duplicate_names_merge()
    {
        var file = File(
            "[Documentation]",
            "ee/docs/    @docs",
            "docs/       @docs",
            "",
            "[Database]",
            "README.md  @database",
            "model/db/   @database",
            "",
            "[DOCUMENTATION]",
            "README.md  @docs");

        // "three entries under the Documentation section header, and two entries under Database ... using the case of the first section."
        Assert.Equal([Default, "Documentation", "Database"], file.Sections.Select(s => s.Name));
        Assert.Equal(3, Section(file, "Documentation").Entries.Count);
        Assert.Equal(2, Section(file, "Database").Entries.Count);
        Owns(file, "README.md", "Documentation: @docs", "Database: @database");
    }

    [Fact]
    public void Advanced_example_specific_files_last_matching_pattern_wins()
    {
        var file = File(
            "# This line would match the file terms.md",
            "*.md @doc-team",
            "",
            "# This line would also match the file terms.md",
            "terms.md @legal-team");

        // "The Code Owner for terms.md would be @legal-team."
        Owns(file, "terms.md", $"{Default}: @legal-team");
        Owns(file, "guide.md", $"{Default}: @doc-team");
    }

    [Fact]
    public void Advanced_example_require_multiple_approvals()
    {
        var file = File("[Documentation][2]", "*.md @tech-writer-team", "", "[Ruby]", "*.rb @dev-team");

        // "The Documentation Code Owners section in the Approvals area displays two approvals are required."
        Assert.Equal(2, Assert.Single(file.Match("README.md")).ApprovalsRequired);
        Assert.Equal(1, Assert.Single(file.Match("app.rb")).ApprovalsRequired);
    }

    [Theory]
    [InlineData("[Docs][abc]")]
    [InlineData("[Docs][]")]
    [InlineData("[Docs][-2]")]
    public void Advanced_prose_invalid_approval_counts_are_treated_as_one(string header) =>
        Assert.Equal(1, Assert.Single(File(header, "*.md @w").Match("a.md")).ApprovalsRequired);

    [Fact]
    public void Advanced_example_entries_with_spaces_are_escaped_with_backslashes()
    {
        var file = File(@"path\ with\ spaces/*.md @owner");

        Owns(file, "path with spaces/guide.md", $"{Default}: @owner");
        Owns(file, "docs/path with spaces/guide.md", $"{Default}: @owner");
        Assert.Equal("/**/path with spaces/*.md", file.Sections[0].Entries[0].NormalizedPattern);
    }

    [Fact]
    public void Advanced_prose_unescaped_spaces_split_the_pattern_from_the_owners()
    {
        // 'folder with spaces/*.md @group' is read as path "folder", owners " with spaces/*.md @group".
        var file = File("folder with spaces/*.md @group");

        var entry = Assert.Single(file.Sections[0].Entries);
        Assert.Equal("folder", entry.Pattern);
        Assert.Equal(["@group"], entry.Owners.Select(o => o.ToString()));
        Assert.Contains(file.Warnings, w => w.Kind == CodeOwnersWarningKind.MalformedEntryOwner && w.Reason.Contains("'with'"));
    }

    [Fact]
    public void Advanced_example_unparsable_section_after_the_default_section_is_an_entry()
    {
        var file = File("* @group", "", "[Section name", "docs/ @docs_group");

        // "The default section includes 3 rules: * owned by @group, [Section owned by name, docs/ owned by @docs_group"
        Assert.Equal([Default], file.Sections.Select(s => s.Name));
        Assert.Equal(["*", "[Section", "docs/"], file.Sections[0].Entries.Select(e => e.Pattern));
        Assert.Equal(["@group"], file.Sections[0].Entries[0].Owners.Select(o => o.ToString()));
        Assert.Equal(["@docs_group"], file.Sections[0].Entries[2].Owners.Select(o => o.ToString()));
        // 'name' has no '@', so GitLab keeps the rule but it owns nothing.
        Assert.False(file.Sections[0].Entries[1].HasOwners);
        Assert.Contains(file.Warnings, w => w.Line == 3 && w.Kind == CodeOwnersWarningKind.InvalidSectionFormat);
        Owns(file, "docs/a.md", $"{Default}: @docs_group");
    }

    [Fact]
    public void Advanced_example_unparsable_section_after_a_named_section_joins_it()
    {
        var file = File("[Docs]", "docs/**/* @group", "", "[Section name", "docs/ @docs_group");

        // The page says "The [Docs] section includes 3 rules: docs/**/* owned by @group, [Section owned by name,
        // docs/ owned by @docs_group". GitLab's code (file.rb) keys a section's rules by normalized pattern, and
        // 'docs/**/*' and 'docs/' both normalize to '/**/docs/**/*': they are one rule at the first one's place with
        // the last one's owners. The unparsable header does join [Docs], as the page says.
        Assert.Equal("/**/docs/**/*", CodeOwnersFile.NormalizePattern("docs/**/*"));
        Assert.Equal(["docs/", "[Section"], Section(file, "Docs").Entries.Select(e => e.Pattern));
        Assert.Empty(file.Sections[0].Entries);
        Owns(file, "docs/a/b.md", "Docs: @docs_group");
    }

    [Fact]
    public void Advanced_example_malformed_owners_are_ignored()
    {
        var file = File("/path/* @group user_without_at_symbol @user_with_at_symbol");

        // "This entry is owned by @group and @user_with_at_symbol."
        Owns(file, "path/file.txt", $"{Default}: @group @user_with_at_symbol");
        var warning = Assert.Single(file.Warnings);
        Assert.Equal((1, CodeOwnersWarningKind.MalformedEntryOwner), (warning.Line, warning.Kind));
        Assert.Contains("user_without_at_symbol", warning.Reason);
    }

    [Fact]
    public void Advanced_example_inaccessible_owners_are_kept_as_references_for_the_api_step()
    {
        var file = File("* @group @grou @username @i_left @i_dont_exist example@gitlab.com invalid@gitlab.com");

        // Which of them are accessible is only known through the API; the parser keeps all seven, typed.
        var owners = Assert.Single(file.Match("any")).Owners;
        Assert.Equal(["group", "grou", "username", "i_left", "i_dont_exist"], owners.Where(o => o.Kind == CodeOwnerKind.Name).Select(o => o.Value));
        Assert.Equal(["example@gitlab.com", "invalid@gitlab.com"], owners.Where(o => o.Kind == CodeOwnerKind.Email).Select(o => o.Value));
        Assert.Empty(file.Warnings);
    }

    [Fact]
    public void Advanced_prose_zero_owners_entry_is_invalid_and_marked()
    {
        var file = File("* @everyone", "docs/");

        var match = Assert.Single(file.Match("docs/a.md"));
        Assert.Equal("docs/", match.Pattern);
        Assert.Empty(match.Owners);
        Assert.False(file.Sections[0].Entries[1].HasOwners);
        Assert.Equal(CodeOwnersWarningKind.MissingEntryOwner, Assert.Single(file.Warnings).Kind);
    }

    [Fact]
    public void Advanced_prose_minimum_approvals_zero_requires_one() =>
        Assert.Equal(1, Assert.Single(File("[Docs][0]", "*.md @w").Match("a.md")).ApprovalsRequired);
}
