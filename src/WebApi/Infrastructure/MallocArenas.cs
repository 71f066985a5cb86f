using System.Runtime.InteropServices;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Caps glibc's malloc arenas at <see cref="Default"/> for this process, unless <c>MALLOC_ARENA_MAX</c> is set (glibc
/// then reads it itself). glibc gives a thread that meets a busy arena one of its own, up to 8 per core, and an arena
/// keeps the most it ever held: the native allocations of a rush (SQLite's statements and page caches, OpenSSL's
/// digest contexts for every bearer hashed) are then kept once per thread-pool thread that made them. Measured with
/// 100,000 waiting (docs/architecture.md, "Memory"): 275 → 246 MB of RSS, for no change in throughput. The managed
/// heap is the GC's and is not affected.
/// </summary>
public static class MallocArenas
{
    public const int Default = 2;

    private const int MArenaMax = -8;   // M_ARENA_MAX in glibc's malloc.h

    /// <summary>Sets the cap and says whether it was set: not where <paramref name="environmentValue"/> (the
    /// process's <c>MALLOC_ARENA_MAX</c>) is given, nor off Linux, nor on a C library that is not glibc (musl, as
    /// on Alpine, has no such arenas).</summary>
    public static bool Limit(string? environmentValue, int max = Default)
    {
        if (!OperatingSystem.IsLinux() || !string.IsNullOrEmpty(environmentValue))
        {
            return false;
        }

        try
        {
            return MallOpt(MArenaMax, max) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallOpt(int parameter, int value);
}
