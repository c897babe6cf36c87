using GitLabMrBot;
using GitLabMrBot.Cli;

// `serve`, the default verb, runs the webhook server and worker; the other verbs are short tasks (docs/contract.md §6).
return await CommandLine.RunAsync(args, serve: async hostArguments =>
{
    var builder = BotApplication.CreateBuilder(hostArguments);
    if (BotApplication.DescribeStartupProblems(builder.Configuration) is { } problems)
    {
        await Console.Error.WriteLineAsync(problems);
        return CliExit.Usage;
    }
    var app = builder.Build();
    app.MapBot();
    await app.RunAsync();
    return CliExit.Ok;
});

public partial class Program;
