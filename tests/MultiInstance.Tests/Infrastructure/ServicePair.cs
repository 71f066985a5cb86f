using System.Globalization;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>
/// Two instances of the service on two ports over one fresh PostgreSQL database, both running the admission and
/// sweep workers. They start at the same moment, so they also race each other's migrations and demo seeding.
/// </summary>
public sealed class ServicePair : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private ServicePair(PostgresDatabase database, ServiceInstance first, ServiceInstance second, int maxActiveTokens, TimeSpan startedIn)
    {
        StartedIn = startedIn;
        Database = database;
        First = first;
        Second = second;
        MaxActiveTokens = maxActiveTokens;
    }

    public PostgresDatabase Database { get; }

    public ServiceInstance First { get; }

    public ServiceInstance Second { get; }

    public IReadOnlyList<ServiceInstance> Instances => [First, Second];

    public int MaxActiveTokens { get; }

    /// <summary>From launching both processes to both answering /health/ready.</summary>
    public TimeSpan StartedIn { get; }

    /// <param name="settings">Environment settings for both instances, over the defaults below (for example an
    /// operator account or another idle timeout).</param>
    public static async Task<ServicePair> StartAsync(int maxActiveTokens, IReadOnlyDictionary<string, string>? settings = null)
    {
        var database = await PostgresDatabase.CreateAsync();
        var started = new List<ServiceInstance>();
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["Database__Provider"] = "Postgres",
                ["Queue__MaxActiveTokens"] = maxActiveTokens.ToString(CultureInfo.InvariantCulture),
                ["Workers__Enabled"] = "true",
                ["Queue__AdmissionInterval"] = "00:00:00.200",
                ["Seed__Demo"] = "true",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                // One signing key for both, as every instance of a deployment shares it.
                ["Auth__SigningKey"] = SigningKey,
                ["Auth__PasswordHashIterations"] = "10",
                // The load signs hundreds of users up from one address.
                ["RateLimits__Enabled"] = "false",
                ["Serilog__MinimumLevel__Default"] = "Warning",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                environment[key] = value;
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            foreach (var name in new[] { "instance-A", "instance-B" })
            {
                // Each instance's connections carry its name, so a test can tell in pg_stat_activity whose
                // statement waits on a lock.
                started.Add(ServiceInstance.Start(name, new Dictionary<string, string>(environment)
                {
                    ["ConnectionStrings__Concert"] = database.ServiceConnectionString(maxPoolSize: 60, applicationName: name),
                }));
            }

            await Task.WhenAll(started.Select(i => i.WaitUntilReadyAsync(StartTimeout)));
            return new ServicePair(database, started[0], started[1], maxActiveTokens, clock.Elapsed);
        }
        catch
        {
            foreach (var instance in started)
            {
                await instance.DisposeAsync();
            }

            await database.DisposeAsync();
            throw;
        }
    }

    public string Output() => string.Join('\n', Instances.Select(i => i.Output()));

    /// <summary>The error-level lines each instance logged, counted by message.</summary>
    public string ErrorSummary() => string.Join('\n', Instances.Select(i =>
        $"{i.Name} logged {i.ErrorLines.Values.Sum()} error lines" +
        string.Concat(i.ErrorLines.OrderByDescending(e => e.Value).Select(e => $"\n  {e.Value}× {e.Key}"))));

    public async ValueTask DisposeAsync()
    {
        // Processes first (even when the test failed half-way), then the database they were using.
        await First.DisposeAsync();
        await Second.DisposeAsync();
        await Database.DisposeAsync();
    }

    private static readonly string SigningKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
