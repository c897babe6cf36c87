using System.Reflection;

#pragma warning disable CA1050 // The runtime looks a startup hook up by this exact name, in no namespace.

/// <summary>
/// A .NET startup hook for child processes of the bot (<c>DOTNET_STARTUP_HOOKS=&lt;this test assembly&gt;</c>): with
/// <see cref="LogVariable"/> set, it writes the name of every assembly the process loads to that file, one a line,
/// so a test can tell what a real run of the built bot loaded.
/// </summary>
public static class StartupHook
{
    public const string LogVariable = "MRBOT_TEST_LOADED_ASSEMBLIES";

    private static readonly Lock Gate = new();

    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(LogVariable) is not { Length: > 0 } path)
        {
            return;
        }
        AppDomain.CurrentDomain.AssemblyLoad += (_, e) => Record(path, e.LoadedAssembly);
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            Record(path, assembly);
        }
    }

    /// <summary>The names logged to <paramref name="path"/> by a process started with <see cref="Initialize"/> as its hook.</summary>
    public static IReadOnlySet<string> Loaded(string path) =>
        File.Exists(path) ? File.ReadAllLines(path).ToHashSet(StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);

    private static void Record(string path, Assembly assembly)
    {
        lock (Gate)
        {
            File.AppendAllText(path, assembly.GetName().Name + Environment.NewLine);
        }
    }
}
