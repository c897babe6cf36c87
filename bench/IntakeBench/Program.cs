using System.Globalization;
using IntakeBench;

// Usage:
//   IntakeBench hostile <GitLabMrBot.dll> [--idle 19850] [--bodies 120] [--body-mib 24] [--heap-limit-mb 512]
//   IntakeBench soak <GitLabMrBot.dll> <bot.config.json> [--minutes 10] [--rate 4]
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: IntakeBench hostile <GitLabMrBot.dll> [options] | IntakeBench soak <GitLabMrBot.dll> <bot.config.json> [options]");
    return 2;
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

var bot = Path.GetFullPath(args[1]);
return args[0] switch
{
    "hostile" => await Hostile.RunAsync(bot, Option("--idle", 19_850), Option("--bodies", 120), Option("--body-mib", 24), Option("--heap-limit-mb", 512)),
    "soak" => await Soak.RunAsync(bot, Path.GetFullPath(args[2]), Option("--minutes", 10), Option("--rate", 4)),
    _ => 2,
};
