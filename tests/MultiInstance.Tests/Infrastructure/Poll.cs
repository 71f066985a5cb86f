namespace Concert.MultiInstance.Tests.Infrastructure;

public static class Poll
{
    /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds; fails after <paramref name="bound"/>, a
    /// bound only a hang reaches (a condition is waited for, never a time).</summary>
    public static async Task UntilAsync(string what, Func<Task<bool>> condition, TimeSpan bound)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < bound, $"not within {bound.TotalSeconds:F0} s: {what}");
            await Task.Delay(50);
        }
    }
}
