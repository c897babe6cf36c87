namespace GitLabMrBot.Configuration;

/// <summary>One problem in <c>bot.config.json</c>: where (JSON path and 1-based line) and what.</summary>
public sealed record ConfigError(string Path, int? Line, string Message)
{
    public override string ToString() => Line is { } line ? $"{Path} (line {line}): {Message}" : $"{Path}: {Message}";
}
