namespace Concert.Infrastructure.Workers;

public sealed class WorkerOptions
{
    public const string Section = "Workers";

    /// <summary>Run the admission and sweep workers in this instance (every instance may; they are safe together).</summary>
    public bool Enabled { get; set; } = true;

    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);
}
