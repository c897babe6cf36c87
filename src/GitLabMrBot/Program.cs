using GitLabMrBot;
using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;

// Every verb but `serve` is a short command-line task; `serve` is the webhook server and worker.
if (!CommandLine.IsServe(args))
{
    return await CommandLine.RunAsync(args);
}

if (!BotSettings.TryLoad(BotApplication.ReadConfiguration(args), out _, out var problems))
{
    await Console.Error.WriteLineAsync(BotSettings.DescribeProblems(problems));
    return 2;
}

if (PoliciesServiceCollectionExtensions.DescribeConfigProblems(BotApplication.ReadConfiguration(args)) is { } configProblems)
{
    await Console.Error.WriteLineAsync(configProblems);
    return 2;
}

var app = BotApplication.CreateBuilder(args).Build();
app.MapBot();
await app.RunAsync();
return 0;

public partial class Program;
