namespace Concert.WebApi.BrowserTests.Infrastructure;

public static class Repository
{
    /// <summary>The folder holding Concert.sln, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Concert.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Concert.sln above {AppContext.BaseDirectory}.");
    }
}
