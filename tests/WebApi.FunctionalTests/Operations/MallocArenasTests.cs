using Concert.WebApi.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Operations;

/// <summary>The limit on glibc's malloc arenas reaches glibc (the machines this runs on are Debian: glibc), and an
/// operator's own limit is left to glibc rather than overridden. What the limit saves is measured, not tested: RSS
/// with 100,000 waiting in bench/queue.</summary>
public sealed class MallocArenasTests
{
    [Fact]
    public void On_linux_glibc_takes_the_limit()
    {
        Assert.SkipUnless(File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || File.Exists("/lib/aarch64-linux-gnu/libc.so.6"),
            "not a Debian glibc machine");

        // True only when the call reached glibc's mallopt: a wrong library or entry point is false. (glibc answers 1
        // for M_ARENA_MAX whatever the value, so this cannot tell the number of arenas.)
        Assert.True(MallocArenas.Limit(arenaMax: null, tunables: null));
        Assert.True(MallocArenas.Limit(arenaMax: "", tunables: "glibc.malloc.check=0", max: MallocArenas.Default));
    }

    [Theory]
    [InlineData("1", null)]
    [InlineData("8", null)]
    [InlineData(null, "glibc.malloc.arena_max=4")]
    [InlineData(null, "glibc.malloc.tcache_count=0:glibc.malloc.arena_max=1")]
    public void An_operators_own_limit_is_left_to_glibc(string? arenaMax, string? tunables) =>
        Assert.False(MallocArenas.Limit(arenaMax, tunables));
}
