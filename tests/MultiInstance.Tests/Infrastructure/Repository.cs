namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>Where the repository and the built service are. The service is run from its Release build, which
/// <c>scripts/test.sh</c> makes before any test runs.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string ServiceDll
    {
        get
        {
            var dll = Path.Combine(Root, "src", "WebApi", "bin", "Release", "net10.0", "Concert.WebApi.dll");
            return File.Exists(dll)
                ? dll
                : throw new InvalidOperationException(
                    $"The service is not built in Release ({dll} is missing). Run scripts/test.sh, or " +
                    "`dotnet build Concert.sln -c Release` first.");
        }
    }

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
