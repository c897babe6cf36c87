using System.Globalization;
using Microsoft.Data.Sqlite;

namespace LoadGen;

/// <summary>
/// Counts the deliveries committed in the bot's SQLite file (run after the bot stopped). Prints the number
/// alone on stdout; notes go to stderr. A missing file or table counts 0 (the bot stored nothing), which
/// the summary then reports against the accepted count.
/// </summary>
internal static class InboxCounter
{
    // The table SqliteInboxStore writes one row per accepted delivery into.
    public const string DefaultTable = "deliveries";

    public static int Run(string path, string? table)
    {
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"count: {path} does not exist: the bot committed nothing");
            Console.WriteLine("0");
            return 0;
        }

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            // Read-write (never create) so a WAL left by a killed bot is recovered rather than refused.
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();

        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var name = table ?? DefaultTable;
        if (!tables.Contains(name, StringComparer.Ordinal))
        {
            Console.Error.WriteLine($"count: no table '{name}' in {path} (tables: {(tables.Count == 0 ? "none" : string.Join(", ", tables))})");
            Console.WriteLine("0");
            return 0;
        }

        using var count = connection.CreateCommand();
        // The name comes from sqlite_master (checked above), so quoting it is enough.
        count.CommandText = $"SELECT COUNT(*) FROM \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        var rows = Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture);
        Console.WriteLine(rows.ToString(CultureInfo.InvariantCulture));
        return 0;
    }
}
