using GitLabMrBot.Configuration;
using Npgsql;

namespace GitLabMrBot.Storage;

/// <summary>Which store the bot uses, for operators: the provider and where it is, never a password or other secret of the connection string.</summary>
public static class StoreDescription
{
    public static string Of(BotSettings settings)
    {
        if (!settings.DatabaseIsPostgres)
        {
            return $"SQLite {Path.GetFullPath(settings.Database)}";
        }
        try
        {
            // Only the place: host, port and database name (user, password and the rest stay out).
            var builder = new NpgsqlConnectionStringBuilder(settings.Database);
            return $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
        }
        catch (ArgumentException)
        {
            return "PostgreSQL";
        }
    }
}
