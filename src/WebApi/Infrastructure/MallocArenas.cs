using System.Runtime.InteropServices;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Limits glibc's malloc arenas to <see cref="Default"/> from start-up on, unless the operator chose a limit
/// (<c>MALLOC_ARENA_MAX</c>, or <c>glibc.malloc.arena_max</c> in <c>GLIBC_TUNABLES</c>: glibc reads those itself).
/// By default glibc hands threads up to 8 arenas per core, and memory freed inside an arena stays with it until its
/// top is free: the native allocations of a rush (SQLite's statements and page caches, OpenSSL's digest contexts for
/// every bearer hashed) were kept once per arena the thread-pool threads had spread over. Measured with 100,000
/// waiting (docs/architecture.md, "Memory outside the managed heap"): 275 → 246 MB of RSS, throughput unchanged.
/// The limit holds for arenas made after this call; the few the runtime's own threads made before it stay. The
/// managed heap is the GC's and is not affected.
/// </summary>
public static class MallocArenas
{
    public const int Default = 2;

    private const int MArenaMax = -8;   // M_ARENA_MAX in glibc's malloc.h

    /// <summary>Sets the limit and says whether the call reached glibc: not where the operator set one
    /// (<paramref name="arenaMax"/> is the process's <c>MALLOC_ARENA_MAX</c>, <paramref name="tunables"/> its
    /// <c>GLIBC_TUNABLES</c>), nor off Linux, nor on a C library that is not glibc (musl, as on Alpine, has no such
    /// arenas). glibc's <c>mallopt</c> answers 1 for this parameter whatever the value: true says the binding works,
    /// not how many arenas there are.</summary>
    public static bool Limit(string? arenaMax, string? tunables, int max = Default)
    {
        if (!OperatingSystem.IsLinux()
            || !string.IsNullOrEmpty(arenaMax)
            || tunables?.Contains("glibc.malloc.arena_max", StringComparison.Ordinal) == true)
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
