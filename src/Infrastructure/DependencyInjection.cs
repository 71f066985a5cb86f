using Concert.Application.Common.Interfaces;
using Concert.Infrastructure.Auth;
using Concert.Infrastructure.Persistence;
using Concert.Infrastructure.Workers;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concert.Infrastructure;

public static class DependencyInjection
{
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        var database = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        services.Configure<DatabaseOptions>(configuration.GetSection(DatabaseOptions.Section));
        services.Configure<SeedOptions>(configuration.GetSection(SeedOptions.Section));
        services.Configure<WorkerOptions>(configuration.GetSection(WorkerOptions.Section));
        services.Configure<AuthOptions>(configuration.GetSection(AuthOptions.Section));
        services.Configure<AdminOptions>(configuration.GetSection(AdminOptions.Section));
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<IAccessTokenIssuer, JwtAccessTokenIssuer>();
        services.Configure<Microsoft.AspNetCore.Identity.PasswordHasherOptions>(o =>
            o.IterationCount = configuration.GetValue("Auth:PasswordHashIterations", o.IterationCount));
        services.AddSingleton<Application.Common.Interfaces.IPasswordHasher, IdentityPasswordHasher>();
        var connectionString = configuration.GetConnectionString("Concert");

        switch (database.Provider)
        {
            case DatabaseProvider.Sqlite:
                var sqlite = new SqliteConnectionStringBuilder { DataSource = database.SqlitePath, Pooling = true, DefaultTimeout = 60 }.ToString();
                services.AddDbContextPool<ConcertDbContext, SqliteConcertDbContext>(o => o
                    .UseSqlite(sqlite)
                    .AddInterceptors(new SqlitePragmaInterceptor(database.SqliteBusyTimeoutMs)));
                break;
            case DatabaseProvider.SqlServer:
                services.AddDbContextPool<ConcertDbContext, SqlServerConcertDbContext>(o => o
                    .UseSqlServer(Require(connectionString, database.Provider), s => s.EnableRetryOnFailure(database.MaxRetryCount)));
                break;
            case DatabaseProvider.Postgres:
                services.AddDbContextPool<ConcertDbContext, PostgresConcertDbContext>(o => o
                    .UseNpgsql(Require(connectionString, database.Provider), s => s.EnableRetryOnFailure(database.MaxRetryCount)));
                break;
            default:
                throw new InvalidOperationException($"Unknown Database:Provider '{database.Provider}'.");
        }

        services.AddScoped<IConcertDbContext>(sp => sp.GetRequiredService<ConcertDbContext>());
        services.AddHealthChecks().AddDbContextCheck<ConcertDbContext>("database", tags: ["ready"]);

        services.AddHostedService<QueueChangesPulser>();
        if (configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>()?.Enabled ?? true)
        {
            services.AddHostedService<QueueAdmissionWorker>();
            services.AddHostedService<SweepWorker>();
        }

        return services;
    }

    /// <summary>Applies migrations and seeds the demo catalogue, as configured. Called once at start.</summary>
    public static async Task InitialiseDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<ConcertDbContext>();
        var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DependencyInjection));
        if (db is SqliteConcertDbContext)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
            await SqlitePragmaInterceptor.EnableWalAsync(db.Database.GetDbConnection(), cancellationToken);
            await db.Database.CloseConnectionAsync();
        }

        if (sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
        {
            await MigrateAsync(db, cancellationToken);
            logger.LogInformation("Database migrated ({Provider})", db.Database.ProviderName);
        }

        if (sp.GetRequiredService<IOptions<SeedOptions>>().Value.Demo)
        {
            await DemoSeeder.SeedAsync(db, sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime, cancellationToken);
        }
    }

    /// <summary>
    /// Applies pending migrations, one instance at a time. EF's own migration lock on PostgreSQL is held per
    /// migration's transaction, so two instances starting together could each apply the second of two pending
    /// migrations (seen: "column already exists"). A session advisory lock around the whole run closes that.
    /// </summary>
    private static async Task MigrateAsync(ConcertDbContext db, CancellationToken ct)
    {
        if (db is not PostgresConcertDbContext)
        {
            await db.Database.MigrateAsync(ct);
            return;
        }

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_lock({MigrationLockKey})", ct);
            try
            {
                await db.Database.MigrateAsync(ct);
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Any fixed number: every instance of this service takes the same advisory lock to migrate.</summary>
    private const long MigrationLockKey = 7_270_715_001;

    private static string Require(string? connectionString, DatabaseProvider provider) =>
        string.IsNullOrWhiteSpace(connectionString)
            ? throw new InvalidOperationException($"Database:Provider={provider} needs ConnectionStrings:Concert.")
            : connectionString;
}
