using Concert.WebApi.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Operations;

/// <summary>The cap on glibc's malloc arenas reaches glibc (the machines this runs on are Debian: glibc), and an
/// operator's own <c>MALLOC_ARENA_MAX</c> is left to glibc rather than overridden.</summary>
public sealed class MallocArenasTests
{
    [Fact]
    public void On_linux_glibc_takes_the_cap()
    {
        Assert.SkipUnless(File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || File.Exists("/lib/aarch64-linux-gnu/libc.so.6"),
            "not a Debian glibc machine");

        // mallopt answers 1 only when glibc took the parameter: a wrong library, entry point or parameter is false.
        Assert.True(MallocArenas.Limit(environmentValue: null));
        Assert.True(MallocArenas.Limit(environmentValue: "", max: MallocArenas.Default));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("8")]
    public void An_operators_MALLOC_ARENA_MAX_is_left_to_glibc(string value) =>
        Assert.False(MallocArenas.Limit(environmentValue: value));
}
