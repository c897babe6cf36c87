using System.Runtime.InteropServices;

namespace LoadGen;

/// <summary>
/// Two Linux calls that make the open-loop scheduler keep time on a busy 2-core machine: a sub-millisecond
/// sleep (Thread.Sleep rounds up to whole milliseconds) and a higher priority for that one thread, so the
/// kernel wakes it on time while the server under test keeps the cores busy.
/// </summary>
internal static partial class Native
{
    private const int PrioProcess = 0;

    /// <summary>Sleeps about <paramref name="microseconds"/> (Linux timer slack: ~50 µs); falls back to Thread.Sleep elsewhere.</summary>
    public static void Sleep(long microseconds)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = usleep((uint)Math.Clamp(microseconds, 1, 1_000_000));
        }
        else
        {
            Thread.Sleep(TimeSpan.FromMicroseconds(Math.Max(microseconds, 1000)));
        }
    }

    /// <summary>Raises the calling thread's priority (nice −10; needs root or CAP_SYS_NICE). False when not allowed.</summary>
    public static bool RaiseCurrentThreadPriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            return setpriority(PrioProcess, (uint)gettid(), -10) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "usleep")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int usleep(uint microseconds);

    [DllImport("libc", EntryPoint = "gettid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int gettid();

    [DllImport("libc", EntryPoint = "setpriority")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int setpriority(int which, uint who, int priority);
}
