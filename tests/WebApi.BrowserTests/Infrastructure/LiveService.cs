using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.BrowserTests.Infrastructure;

/// <summary>
/// The real service on a real Kestrel port, on a fresh SQLite file, with the real clock and its background workers
/// running: a browser waits on admission, holds and countdowns in real time, so nothing here is faked.
/// </summary>
public sealed class LiveService : IAsyncDisposable
{
    private readonly Factory _factory;
    private readonly string _databasePath;

    private LiveService(Factory factory, string databasePath)
    {
        _factory = factory;
        _databasePath = databasePath;
        var addresses = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        BaseAddress = new Uri(addresses.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal)
            .Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    public Uri BaseAddress { get; }

    public static LiveService Start(int maxActiveTokens)
    {
        var dir = Path.Combine(Path.GetTempPath(), "concert-browser-tests");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{Guid.NewGuid():N}.db");
        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["Database:SqlitePath"] = path,
            ["Seed:Demo"] = "true",
            ["Workers:Enabled"] = "true",
            ["Queue:MaxActiveTokens"] = maxActiveTokens.ToString(CultureInfo.InvariantCulture),
            ["Queue:AdmissionInterval"] = "00:00:00.200",
            ["RateLimits:Enabled"] = "false",
            // Outside Development the service needs a signing key of 256 bits or more; a fresh one per instance.
            ["Auth:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        var factory = new Factory(settings);
        factory.UseKestrel(0);
        factory.StartServer();
        return new LiveService(factory, path);
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try
            {
                File.Delete(_databasePath + suffix);
            }
            catch (IOException)
            {
                // Best effort: it is in the temp folder.
            }
        }
    }

    private sealed class Factory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");

            // UseSetting hands these to Program before it builds (the provider and the workers are read early).
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
