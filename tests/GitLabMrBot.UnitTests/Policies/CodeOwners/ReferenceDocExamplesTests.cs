using GitLabMrBot.Policies.CodeOwners;
using static GitLabMrBot.UnitTests.Policies.CodeOwners.CodeOwnersAssert;

namespace GitLabMrBot.UnitTests.Policies.CodeOwners;

/// <summary>
/// Every CODEOWNERS example in GitLab's <c>doc/user/project/codeowners/reference.md</c>
/// (gitlabhq/gitlabhq @017a6c129d6a9e4ad9fec792cd84f88641d7dbfe), in the order they appear.
/// Where the page states the outcome in prose, the test asserts exactly that.
/// </summary>
public sealed class ReferenceDocExamplesTests
{
    private const string Default = CodeOwnersFile.DefaultSectionName;

    private static readonly CodeOwnersFile IntroExamples = File(
        "# Specify a default Code Owner for all files with a wildcard:",
        "* @default-owner",
        "",
        "# Specify multiple Code Owners to a specific file:",
        "README.md @doc-team @tech-lead",
        "",
        "# Specify a Code Owner to all files with a specific extension:",
        "*.rb @ruby-owner",
        "",
        "# Specify Code Owners with usernames or email addresses:",
        "LICENSE @legal janedoe@gitlab.com",
        "",
        "# Use group names to match groups and nested groups:",
        "README @group @group/with-nested/subgroup",
        "",
        "# Specify a Code Owner to a directory and all its contents:",
        "/docs/ @all-docs",
        "/docs/* @root-docs",
        "/docs/**/*.md @markdown-docs  # Match specific file types in any subdirectory",
        "/db/**/index.md @index-docs   # Match a specific file name in any subdirectory",
        "",
        "# Use a section to group related rules:",
        "[Documentation]",
        "ee/docs    @docs",
        "docs       @docs",
        "",
        "# Assign a role as a Code Owner:",
        "/config/ @@maintainer");

    [Fact]
    public void Reference_example_intro_wildcard_default_owner_owns_any_file()
    {
        Owns(IntroExamples, "src/main.go", $"{Default}: @default-owner");
        Owns(IntroExamples, ".gitignore", $"{Default}: @default-owner");
    }

    [Fact]
    public void Reference_example_intro_multiple_owners_for_a_specific_file()
    {
        Owns(IntroExamples, "README.md", $"{Default}: @doc-team @tech-lead");
        Owns(IntroExamples, "lib/README.md", $"{Default}: @doc-team @tech-lead");
    }

    [Fact]
    public void Reference_example_intro_owner_for_an_extension() =>
        Owns(IntroExamples, "app/models/user.rb", $"{Default}: @ruby-owner");

    [Fact]
    public void Reference_example_intro_usernames_and_email_addresses()
    {
        Owns(IntroExamples, "LICENSE", $"{Default}: @legal janedoe@gitlab.com");
        var owners = Assert.Single(IntroExamples.Match("LICENSE")).Owners;
        Assert.Equal([new CodeOwner(CodeOwnerKind.Name, "legal"), new CodeOwner(CodeOwnerKind.Email, "janedoe@gitlab.com")], owners);
    }

    [Fact]
    public void Reference_example_intro_groups_and_nested_groups()
    {
        Owns(IntroExamples, "README", $"{Default}: @group @group/with-nested/subgroup");
        var owners = Assert.Single(IntroExamples.Match("README")).Owners;
        Assert.False(owners[0].IsGroupPath);
        Assert.True(owners[1].IsGroupPath);
        Assert.Equal("group/with-nested/subgroup", owners[1].Value);
    }

    [Fact]
    public void Reference_example_intro_directory_rules_last_match_wins()
    {
        // '/docs/' owns the whole tree, '/docs/*' its direct files, '/docs/**/*.md' Markdown at any depth below docs.
        Owns(IntroExamples, "docs/api/v4/users.txt", $"{Default}: @all-docs");
        Owns(IntroExamples, "docs/guide.txt", $"{Default}: @root-docs");
        Owns(IntroExamples, "docs/guide.md", $"{Default}: @markdown-docs");
        Owns(IntroExamples, "docs/api/users.md", $"{Default}: @markdown-docs");
        Owns(IntroExamples, "db/index.md", $"{Default}: @index-docs");
        Owns(IntroExamples, "db/migrate/old/index.md", $"{Default}: @index-docs");
    }

    [Fact]
    public void Reference_example_intro_inline_comment_words_are_malformed_owners_not_a_comment()
    {
        // "Inline comments are unsupported": the words after '#' are read as owners and ignored as malformed.
        var markdownLine = Array.FindIndex(IntroExamples.Sections[0].Entries.ToArray(), e => e.Pattern == "/docs/**/*.md");
        Assert.True(markdownLine >= 0);
        Assert.Contains(IntroExamples.Warnings, w => w.Line == 19 && w.Kind == CodeOwnersWarningKind.MalformedEntryOwner && w.Reason.Contains("'Match'"));
        Assert.Equal(["markdown-docs"], IntroExamples.Sections[0].Entries[markdownLine].Owners.Select(o => o.Value));
    }

    [Fact]
    public void Reference_example_intro_section_groups_rules_and_adds_to_the_default_section()
    {
        Owns(IntroExamples, "ee/docs", $"{Default}: @default-owner", "Documentation: @docs");
        // Both 'ee/docs' and 'docs' match the file ee/docs: the later line is the one kept.
        Assert.Equal("docs", WinningPattern(IntroExamples, "ee/docs", "Documentation"));
        // Without a trailing slash, 'docs' names a file: files inside a docs directory are not matched by it.
        Assert.Null(WinningPattern(IntroExamples, "docs/guide.txt", "Documentation"));
    }

    [Fact]
    public void Reference_example_intro_role_owner_belongs_to_the_section_above_it()
    {
        // The role rule comes after the [Documentation] header, so it is part of that section.
        Owns(IntroExamples, "config/gitlab.yml", $"{Default}: @default-owner", "Documentation: @@maintainer");
        var role = Assert.Single(Assert.Single(IntroExamples.Match("config/gitlab.yml"), m => m.Section == "Documentation").Owners);
        Assert.Equal(new CodeOwner(CodeOwnerKind.Role, "maintainer"), role);
    }

    private static readonly CodeOwnersFile ReadmeSections = File(
        "* @admin",
        "",
        "[README Owners]",
        "README.md @user1 @user2",
        "internal/README.md @user4",
        "",
        "[README other owners]",
        "README.md @user3");

    [Fact]
    public void Reference_example_sections_root_readme_gets_owners_from_every_section() =>
        Owns(ReadmeSections, "README.md", $"{Default}: @admin", "README Owners: @user1 @user2", "README other owners: @user3");

    [Fact]
    public void Reference_example_sections_internal_readme_keeps_only_the_last_line_of_a_section() =>
        Owns(ReadmeSections, "internal/README.md", $"{Default}: @admin", "README Owners: @user4", "README other owners: @user3");

    [Fact]
    public void Reference_example_add_a_section()
    {
        var file = File("[README Owners]", "README.md @user1 @user2", "internal/README.md @user2");

        Owns(file, "README.md", "README Owners: @user1 @user2");
        Owns(file, "internal/README.md", "README Owners: @user2");
        Assert.Empty(file.Warnings);
    }

    [Fact]
    public void Reference_example_section_headings_all_five_spellings_merge_into_one_section()
    {
        var file = File(
            "# Required section",
            "[Section name]",
            "",
            "# Optional section",
            "^[Section name]",
            "",
            "# Section requiring 5 approvals",
            "[Section name][5]",
            "",
            "# Section with @username as default owner",
            "[Section name] @username",
            "",
            "# Section with @group and @subgroup as default owners and requiring 2 approvals",
            "[Section name][2] @group @subgroup");

        Assert.Equal([Default, "Section name"], file.Sections.Select(s => s.Name));
        Assert.True(file.IsEmpty);
        Assert.Empty(file.Warnings);
    }

    [Theory]
    [InlineData("[Section name]", false, 1, "")]
    [InlineData("^[Section name]", true, 0, "")]
    [InlineData("[Section name][5]", false, 5, "")]
    [InlineData("[Section name] @username", false, 1, "@username")]
    [InlineData("[Section name][2] @group @subgroup", false, 2, "@group @subgroup")]
    public void Reference_example_section_headings(string header, bool optional, int approvals, string defaultOwners)
    {
        var file = File(header, "file.md");

        var match = Assert.Single(file.Match("file.md"));
        Assert.Equal("Section name", match.Section);
        Assert.Equal(optional, match.Optional);
        Assert.Equal(approvals, match.ApprovalsRequired);
        Assert.Equal(defaultOwners, string.Join(' ', match.Owners));
    }

    private static readonly CodeOwnersFile SectionDefaults = File(
        "[Documentation] @docs-team",
        "docs/",
        "README.md",
        "",
        "[Database] @database-team @agarcia",
        "model/db/",
        "config/db/database-setup.md @docs-team");

    [Fact]
    public void Reference_example_section_default_owners_own_every_rule_without_owners()
    {
        Owns(SectionDefaults, "docs/index.md", "Documentation: @docs-team");
        Owns(SectionDefaults, "README.md", "Documentation: @docs-team");
        Owns(SectionDefaults, "model/db/schema.rb", "Database: @database-team @agarcia");
    }

    [Fact]
    public void Reference_example_section_default_owners_are_overridden_on_a_specific_line()
    {
        Owns(SectionDefaults, "config/db/database-setup.md", "Database: @docs-team");
        Assert.Empty(SectionDefaults.Warnings);
    }

    [Fact]
    public void Reference_example_optional_sections_go_section_is_optional()
    {
        var file = File("[Documentation]", "*.md @root", "", "[Ruby]", "*.rb @root", "", "^[Go]", "*.go @root");

        Assert.Equal([false, false, true], file.Sections.Skip(1).Select(s => s.Optional));
        var go = Assert.Single(file.Match("cmd/main.go"));
        Assert.True(go.Optional);
        Assert.Equal(0, go.ApprovalsRequired);
        var ruby = Assert.Single(file.Match("app/user.rb"));
        Assert.False(ruby.Optional);
        Assert.Equal(1, ruby.ApprovalsRequired);
    }

    [Fact]
    public void Reference_prose_duplicated_section_optional_and_required_is_required()
    {
        // "If a section is duplicated in the file, and one of them is marked as optional and the other isn't, the section is required."
        var file = File("^[Go]", "*.go @a", "[go]", "*.mod @b");

        var section = Section(file, "Go");
        Assert.False(section.Optional);
        Assert.All(file.MatchAll(["main.go", "go.mod"]), p => Assert.False(Assert.Single(p.Matches).Optional));
    }

    [Fact]
    public void Reference_example_add_a_role_as_code_owner()
    {
        var file = File("file.md @@developer @@maintainer");

        Owns(file, "file.md", $"{Default}: @@developer @@maintainer");
        Assert.All(Assert.Single(file.Match("file.md")).Owners, o => Assert.Equal(CodeOwnerKind.Role, o.Kind));
    }

    [Fact]
    public void Reference_prose_plural_roles_are_accepted()
    {
        var file = File("file.md @@developers @@Maintainers @@owners");

        Assert.Equal(["developer", "maintainer", "owner"], Assert.Single(file.Match("file.md")).Owners.Select(o => o.Value));
        Assert.Empty(file.Warnings);
    }

    [Fact]
    public void Reference_example_add_a_group_as_code_owner()
    {
        var file = File(
            "# All direct group members as Code Owners for a file",
            "file.md @group-x",
            "",
            "# All direct subgroup members as Code Owners for a file",
            "file.md @group-x/subgroup-y",
            "",
            "# All direct group and direct subgroup members as Code Owners for a file",
            "file.md @group-x @group-x/subgroup-y");

        // Written in one file, the three lines are one rule and the last one's owners are kept.
        Assert.Single(file.Sections[0].Entries);
        Owns(file, "file.md", $"{Default}: @group-x @group-x/subgroup-y");
        Assert.Equal(8, Assert.Single(file.Match("file.md")).Line);
    }

    [Fact]
    public void Reference_example_group_configuration_maintainers_section()
    {
        var file = File("[Maintainers]", "* @gitlab-org/maintainers/group-name");

        Owns(file, "any/file.txt", "Maintainers: @gitlab-org/maintainers/group-name");
        Assert.True(Assert.Single(Assert.Single(file.Match("x")).Owners).IsGroupPath);
    }

    [Fact]
    public void Reference_example_absolute_paths_match_from_the_root_only()
    {
        var file = File(
            "# Matches only README.md in the root.",
            "/README.md",
            "",
            "# Matches only README.md inside the /docs directory.",
            "/docs/README.md");

        Assert.Equal("/README.md", WinningPattern(file, "README.md", Default));
        Assert.Null(WinningPattern(file, "lib/README.md", Default));
        Assert.Equal("/docs/README.md", WinningPattern(file, "docs/README.md", Default));
        Assert.Null(WinningPattern(file, "docs/api/README.md", Default));
        // The example names no owners: both rules are kept, marked as owning nothing, with a warning.
        Assert.All(file.Sections[0].Entries, e => Assert.False(e.HasOwners));
        Assert.Equal([2, 5], file.Warnings.Where(w => w.Kind == CodeOwnersWarningKind.MissingEntryOwner).Select(w => w.Line));
    }

    [Theory]
    [InlineData("README.md", "README.md", true)]
    [InlineData("README.md", "internal/README.md", true)]
    [InlineData("README.md", "app/lib/README.md", true)]
    [InlineData("internal/README.md", "internal/README.md", true)]
    [InlineData("internal/README.md", "docs/internal/README.md", true)]
    [InlineData("internal/README.md", "docs/api/internal/README.md", true)]
    [InlineData("internal/README.md", "README.md", false)]
    [InlineData("internal/README.md", "internal/docs/README.md", false)]
    public void Reference_example_relative_paths_match_at_any_depth(string pattern, string path, bool matches) =>
        Assert.Equal(matches, File($"{pattern} @username").Match(path).Count == 1);

    [Theory]
    [InlineData("docs/index.md", true)]
    [InlineData("docs/api/graphql/index.md", true)]
    [InlineData("docs", false)]
    [InlineData("ee/docs/index.md", false)]
    public void Reference_example_directory_paths_match_the_whole_tree(string path, bool matches) =>
        Assert.Equal(matches, File("/docs/ @docs").Match(path).Count == 1);

    [Theory]
    [InlineData("/docs/*.md", "docs/index.md", true)]
    [InlineData("/docs/*.md", "docs/api/index.md", false)]
    [InlineData("/docs/index.*", "docs/index.md", true)]
    [InlineData("/docs/index.*", "docs/index.html", true)]
    [InlineData("/docs/index.*", "docs/index.xml", true)]
    [InlineData("/docs/index.*", "docs/api/index.md", false)]
    [InlineData("/docs/*spec*", "docs/qa_specs.rb", true)]
    [InlineData("/docs/*spec*", "docs/spec_helpers.rb", true)]
    [InlineData("/docs/*spec*", "docs/runtime.spec", true)]
    [InlineData("/docs/*spec*", "docs/readme.md", false)]
    [InlineData("/docs/*/README.md", "docs/api/README.md", true)]
    [InlineData("/docs/*/README.md", "docs/README.md", false)]
    [InlineData("/docs/*/README.md", "docs/api/v4/README.md", false)]
    public void Reference_example_wildcard_paths(string pattern, string path, bool matches) =>
        Assert.Equal(matches, File($"{pattern} @username").Match(path).Count == 1);

    [Theory]
    [InlineData("docs/index.md", true)]
    [InlineData("docs/api/index.md", true)]
    [InlineData("docs/api/graphql/index.md", true)]
    [InlineData("index.md", false)]
    public void Reference_example_globstar_paths(string path, bool matches) =>
        Assert.Equal(matches, File("/docs/**/index.md @username").Match(path).Count == 1);

    private static readonly CodeOwnersFile ExclusionExample = File(
        "# All files require approval from @username",
        "* @username",
        "",
        "# Except pom.xml which needs no approval",
        "!pom.xml",
        "",
        "[Ruby]",
        "# All ruby files require approval from @ruby-team",
        "*.rb @ruby-team",
        "",
        "# Except Ruby files in the config directory",
        "!/config/**/*.rb");

    [Fact]
    public void Reference_example_exclusion_pom_xml_applies_to_the_default_section()
    {
        Owns(ExclusionExample, "pom.xml");
        Owns(ExclusionExample, "module/pom.xml");
        Owns(ExclusionExample, "build.gradle", $"{Default}: @username");
    }

    [Fact]
    public void Reference_example_exclusion_config_ruby_files_only_leave_the_ruby_section()
    {
        Owns(ExclusionExample, "config/initializers/redis.rb", $"{Default}: @username");
        Owns(ExclusionExample, "app/models/user.rb", $"{Default}: @username", "Ruby: @ruby-team");
    }

    [Fact]
    public void Reference_example_exclusions_are_evaluated_in_order()
    {
        var file = File(
            "* @default-owner",
            "!*.rb                      # Excludes all Ruby files.",
            "/special/*.rb @ruby-owner  # This won't take effect as *.rb is already excluded.");

        Owns(file, "special/thing.rb");
        Owns(file, "lib/thing.rb");
        Owns(file, "special/thing.py", $"{Default}: @default-owner");
    }

    [Fact]
    public void Reference_example_excluded_path_cannot_be_included_again_in_the_section()
    {
        var file = File(
            "[Ruby]",
            "*.rb @ruby-team           # All Ruby files need Ruby team approval.",
            "!/config/**/*.rb          # Ruby files in config don't need Ruby team approval.",
            "/config/routes.rb @ops    # This won't take effect as config Ruby files are excluded.");

        Owns(file, "config/routes.rb");
        Owns(file, "app/user.rb", "Ruby: @ruby-team");
    }

    [Fact]
    public void Reference_example_exclusions_with_different_owners_use_multiple_sections()
    {
        var file = File(
            "[Ruby]",
            "*.rb @ruby-team",
            "!/config/**/*.rb        # Config Ruby files don't need Ruby team approval.",
            "",
            "[Config]",
            "/config/ @ops-team      # Config files still require ops-team approval.");

        Owns(file, "config/puma.rb", "Config: @ops-team");
        Owns(file, "lib/task.rb", "Ruby: @ruby-team");
    }

    [Fact]
    public void Reference_example_exclusions_for_automatically_updated_files()
    {
        var file = File(
            "* @default-owner",
            "",
            "# Files updated by automation don't need approval.",
            "!package-lock.json",
            "!yarn.lock",
            "!**/generated/          # Any files in generated directories.",
            "!.gitlab-ci.yml");

        Owns(file, "package-lock.json");
        Owns(file, "web/yarn.lock");
        Owns(file, "generated/api.ts");
        Owns(file, "src/generated/deep/model.cs");
        Owns(file, ".gitlab-ci.yml");
        Owns(file, "package.json", $"{Default}: @default-owner");
        Owns(file, "src/generator.cs", $"{Default}: @default-owner");
    }

    [Fact]
    public void Reference_example_entry_owners_groups_subgroups_and_users()
    {
        var file = File(
            "/path/to/entry.rb @group",
            "/path/to/entry.rb @group/subgroup",
            "/path/to/entry.rb @user",
            "/path/to/entry.rb @group @group/subgroup @user");

        Owns(file, "path/to/entry.rb", $"{Default}: @group @group/subgroup @user");
        Assert.Single(file.Sections[0].Entries);
        Assert.Empty(file.Warnings);
    }
}
