using Concert.Application.Common.Options;
using Concert.Domain.Queue;
using Concert.Application.Common.Interfaces;
using Concert.Infrastructure.Auth;
using Concert.Infrastructure.Persistence;
using Concert.Infrastructure.Workers;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
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
                var gate = database.SqliteWriterGate
                    ? SqliteWriterGate.For(Path.GetFullPath(database.SqlitePath), TimeSpan.FromMilliseconds(database.SqliteBusyTimeoutMs))
                    : null;
                services.AddDbContextPool<ConcertDbContext, SqliteConcertDbContext>(o =>
                {
                    o.UseSqlite(sqlite).AddInterceptors(new SqlitePragmaInterceptor(database.SqliteBusyTimeoutMs));
                    if (gate is not null)
                    {
                        o.AddInterceptors(new SqliteWriterGateInterceptor(gate));
                    }
                });
                if (gate is not null)
                {
                    services.AddSingleton(gate);
                    services.AddHostedService(sp => new SqliteWriterGateReporter(gate, sp.GetRequiredService<ILogger<SqliteWriterGateReporter>>()));
                }
                break;
            case DatabaseProvider.SqlServer:
                services.AddDbContextPool<ConcertDbContext, SqlServerConcertDbContext>(o => o
                    .UseSqlServer(Require(connectionString, database.Provider), s => s.EnableRetryOnFailure(database.MaxRetryCount)));
                break;
            case DatabaseProvider.Postgres:
                services.AddDbContextPool<ConcertDbContext, PostgresConcertDbContext>(o => o
                    .UseNpgsql(PostgresConnectionString.WithDefaults(Require(connectionString, database.Provider)), s => s.EnableRetryOnFailure(database.MaxRetryCount)));
                break;
            default:
                throw new InvalidOperationException($"Unknown Database:Provider '{database.Provider}'.");
        }

        services.AddScoped<IConcertDbContext>(sp => sp.GetRequiredService<ConcertDbContext>());
        services.AddHealthChecks().AddCheck<DatabaseWritableHealthCheck>("database", tags: ["ready"]);

        services.AddHostedService<QueueChangesPulser>();
        if (configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>()?.Enabled ?? true)
        {
            services.AddHostedService<QueueAdmissionWorker>();
            services.AddHostedService<SweepWorker>();
        }

        return services;
    }

    /// <summary>Applies migrations and seeds the demo catalogue, as configured. Called once at start; a SQLite file
    /// that cannot be opened, written or read is a <see cref="DatabaseUnavailableException"/>.</summary>
    public static async Task InitialiseDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<ConcertDbContext>();
        var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DependencyInjection));
        if (db is SqliteConcertDbContext)
        {
            await SqliteStartupCheck.CheckAsync(db.Database.GetConnectionString()!, cancellationToken);
        }

        if (sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
        {
            await MigrateAsync(db, cancellationToken);
            logger.LogInformation("Database migrated ({Provider})", db.Database.ProviderName);
        }

        await InitialiseWaitingRoomAsync(db, sp.GetRequiredService<IOptions<QueueOptions>>().Value,
            sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime, cancellationToken);

        if (sp.GetRequiredService<IOptions<SeedOptions>>().Value.Demo)
        {
            await DemoSeeder.SeedAsync(db, sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime, cancellationToken);
        }
    }

    /// <summary>
    /// The <c>Queue</c> section's cap, pause and opening become the room's settings the first time any instance starts
    /// on this database (under the room's lock, so two starting at once write them once); from then on the
    /// database's settings, changed by operators, win over the configuration.
    /// </summary>
    private static Task InitialiseWaitingRoomAsync(
        ConcertDbContext db, QueueOptions options, DateTime now, CancellationToken cancellationToken) =>
        db.InTransactionAsync(async ct =>
        {
            var room = await db.LockQueueGateAsync(ct);
            if (room.SettingsInitialised)
            {
                return 0;
            }

            room.Initialise(Math.Clamp(options.MaxActiveTokens, 1, QueueGate.MaxCap), options.Paused);
            if (options.OpensAt is { } opensAt && opensAt.ToUniversalTime() > now)
            {
                var draw = QueueDraw.Schedule(now);
                db.QueueDraws.Add(draw);
                await db.SaveChangesAsync(ct);
                room.Schedule(draw, opensAt.ToUniversalTime(), now);
            }

            await db.SaveChangesAsync(ct);
            return 1;
        }, cancellationToken);

    /// <summary>Key of the session lock that makes PostgreSQL instances migrate one at a time.</summary>
    private const long PostgresMigrationLockKey = 0x436F6E6365727431;   // "Concert1"

    /// <summary>
    /// Npgsql's own migration lock (LOCK TABLE on the history) ends with each migration's transaction: with two
    /// pending migrations, an instance starting beside another read the history between the other's two commits
    /// and applied the second migration again (duplicate key, exit 134). A session advisory lock around the whole
    /// run makes the second instance wait, then find nothing to apply. SQL Server's applock is per session already.
    /// </summary>
    private static async Task MigrateAsync(ConcertDbContext db, CancellationToken cancellationToken)
    {
        if (db is not PostgresConcertDbContext)
        {
            await db.Database.MigrateAsync(cancellationToken);
            return;
        }

        // The lock needs a session, so the database must exist first (MigrateAsync would otherwise create it).
        var creator = db.GetService<Microsoft.EntityFrameworkCore.Storage.IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken))
        {
            try
            {
                await creator.CreateAsync(cancellationToken);
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.DuplicateDatabase)
            {
                // Another instance created it a moment ago.
            }
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({PostgresMigrationLockKey})", cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({PostgresMigrationLockKey})", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }

    private static string Require(string? connectionString, DatabaseProvider provider) =>
        string.IsNullOrWhiteSpace(connectionString)
            ? throw new InvalidOperationException($"Database:Provider={provider} needs ConnectionStrings:Concert.")
            : connectionString;
}
