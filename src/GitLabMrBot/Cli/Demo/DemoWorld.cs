using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.Cli.Demo;

/// <summary>One merge request of the demo: what a person does, and what it shows off.</summary>
internal sealed record DemoScenario(string Kind, GitLabMergeRequest MergeRequest, string Title, string SourceBranch, string TargetBranch, IReadOnlyList<string> Files);

/// <summary>
/// The simulated GitLab as a team would have it: a group, a project with a CODEOWNERS file and a release branch, its
/// developers, a bot user with its own token, and a group webhook to the bot. Seeding goes through the simulation's
/// own methods, which act as a person in GitLab's UI would (and fire the same webhooks).
/// </summary>
internal sealed class DemoWorld
{
    public const string GroupPath = "acme";
    public const string ProjectPath = "acme/shop";
    public const string BotUsername = "mrbot";
    public const string ReleaseBranch = "release/1.0";

    /// <summary>The scenario that runs into a conflict once it is open.</summary>
    public const string ConflictKind = "conflicts with main";

    /// <summary>The CODEOWNERS file on the default branch, in GitLab's syntax (sections, paths, @users).</summary>
    public const string CodeOwners = """
        # Who reviews what. GitLab reads this file from the target branch.
        [Front end]
        /web/ @bob

        [Payments]
        /src/payments/ @frank @dave
        """;

    private readonly TestGitLabServer _gitLab;
    private readonly Dictionary<string, GitLabUser> _people = new(StringComparer.Ordinal);

    private DemoWorld(TestGitLabServer gitLab, GitLabUser bot, string botToken, GitLabGroup group, GitLabProject project)
    {
        _gitLab = gitLab;
        Bot = bot;
        BotToken = botToken;
        Group = group;
        Project = project;
    }

    public GitLabUser Bot { get; }

    /// <summary>A token of the bot user with scope <c>api</c>, made for this run as an administrator would.</summary>
    public string BotToken { get; }

    public GitLabGroup Group { get; }

    public GitLabProject Project { get; }

    /// <summary>The owners CODEOWNERS names for a path (exact sections above; enough for the demo's own files).</summary>
    public static IReadOnlyList<string> OwnersOf(string path) =>
        path.StartsWith("web/", StringComparison.Ordinal) ? ["bob"]
        : path.StartsWith("src/payments/", StringComparison.Ordinal) ? ["frank", "dave"]
        : [];

    public static DemoWorld Seed(TestGitLabServer gitLab)
    {
        var bot = gitLab.AddUser(BotUsername, "MR Bot", bot: true);
        var group = gitLab.AddGroup(GroupPath);
        var project = gitLab.AddProject(ProjectPath, files: new Dictionary<string, string>
        {
            ["README.md"] = "# shop\n\nThe web shop.\n",
            ["CODEOWNERS"] = CodeOwners + "\n",
            ["web/app.css"] = "body { font-family: sans-serif; }\n.checkout { padding: 4px; }\n",
            ["web/header.css"] = "header { color: #333; }\n",
            ["docs/index.md"] = "# Docs\n",
            ["src/auth/login.cs"] = "class Login { }\n",
            ["src/payments/refunds.cs"] = "class Refunds { }\n",
        });
        var world = new DemoWorld(gitLab, bot, gitLab.CreateToken(bot, "api"), group, project);
        // The bot needs Developer to label and comment; people are Developers, frank maintains payments.
        gitLab.AddMember(project, bot, AccessLevel.Developer);
        foreach (var (name, level) in new[]
        {
            ("alice", AccessLevel.Developer), ("bob", AccessLevel.Developer), ("carol", AccessLevel.Developer),
            ("dave", AccessLevel.Developer), ("erin", AccessLevel.Developer), ("frank", AccessLevel.Maintainer),
        })
        {
            var user = gitLab.AddUser(name, char.ToUpperInvariant(name[0]) + name[1..]);
            gitLab.AddMember(project, user, level);
            world._people[name] = user;
        }
        gitLab.Push(world.Person("frank"), project, ReleaseBranch, new Dictionary<string, string?> { ["VERSION"] = "1.0.0\n" }, "Release 1.0");
        return world;
    }

    public GitLabUser Person(string username) => _people[username];

    /// <summary>Opens the demo's merge requests as their authors would; the last one then runs into a conflict on main.</summary>
    public IReadOnlyList<DemoScenario> OpenMergeRequests()
    {
        var alice = Person("alice");
        return
        [
            Open("front-end change", alice, "Make the checkout button easier to hit", "feature/checkout-button", null, new()
            {
                ["web/app.css"] = "body { font-family: sans-serif; }\n.checkout { padding: 12px 24px; font-size: 1.2em; }\n",
            }),
            Open("docs-only change", Person("carol"), "Explain refunds to support staff", "docs/refunds", null, new()
            {
                ["docs/refunds.md"] = "# Refunds\n\nA refund goes back to the card it was paid with.\nPartial refunds are possible.\n",
            }),
            Open("hotfix", Person("erin"), "Fix the login redirect loop", "hotfix/login-redirect", ReleaseBranch, new()
            {
                ["src/auth/login.cs"] = "class Login\n{\n    // Redirect once, not forever.\n    public string Next(string target) => target == \"/login\" ? \"/\" : target;\n}\n",
            }),
            Open("owned through CODEOWNERS", alice, "feat(payments): partial refunds", "feature/partial-refunds", null, new()
            {
                ["src/payments/refunds.cs"] = string.Concat(Enumerable.Range(1, 30).Select(i => $"// refund rule {i}\n")) + "class Refunds { }\n",
            }),
            Open(ConflictKind, Person("bob"), "Darker header", "style/header", null, new()
            {
                ["web/header.css"] = "header { color: #000; }\n",
            }),
        ];
    }

    /// <summary>
    /// Someone changes the same line on main: the MR now conflicts. The simulation does not merge texts, so its verdict is set
    /// (as GitLab's own check would find it) before the push that makes GitLab check again.
    /// </summary>
    public void ConflictOnMain(DemoScenario scenario)
    {
        _gitLab.SetMergeStatus(scenario.MergeRequest, null, hasConflicts: true);
        _gitLab.Push(Person("carol"), Project, "main", new Dictionary<string, string?> { ["web/header.css"] = "header { color: #444; }\n" }, "Lighter header");
    }

    private DemoScenario Open(string kind, GitLabUser author, string title, string branch, string? target, Dictionary<string, string?> files)
    {
        var mr = _gitLab.OpenMergeRequest(Project, author, title, branch, target, files);
        return new DemoScenario(kind, mr, title, branch, target ?? "main", [.. files.Keys]);
    }
}
