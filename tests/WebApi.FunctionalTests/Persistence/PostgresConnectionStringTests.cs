using Concert.Infrastructure.Persistence;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Concert.WebApi.FunctionalTests.Persistence;

/// <summary>
/// On PostgreSQL the service lets Npgsql prepare the statements it runs again and again (docs/writes.md), unless its
/// connection string says otherwise.
/// </summary>
public sealed class PostgresConnectionStringTests
{
    [Fact]
    public void Statements_are_prepared_by_default()
    {
        var cs = PostgresConnectionString.WithDefaults("Host=db;Database=concert;Username=app");

        var parsed = new NpgsqlConnectionStringBuilder(cs);
        Assert.Equal(PostgresConnectionString.MaxAutoPrepare, parsed.MaxAutoPrepare);
        Assert.Equal(("db", "concert", "app"), (parsed.Host, parsed.Database, parsed.Username));
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0", 0)]
    [InlineData("Host=db;MaxAutoPrepare=5", 5)]
    [InlineData("Host=db;max auto prepare=7", 7)]
    public void A_connection_string_that_sets_it_keeps_its_own(string given, int expected)
    {
        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(PostgresConnectionString.WithDefaults(given)).MaxAutoPrepare);
    }

    [Fact]
    public async Task The_running_service_prepares_its_statements()
    {
        if (TestDatabase.ConfiguredProvider != "Postgres")
        {
            Assert.Skip("PostgreSQL only: SQLite statements are prepared in-process by the provider anyway.");
        }

        await using var api = await TestApi.StartAsync();
        var cs = await api.InScopeAsync(sp => Task.FromResult(sp.GetRequiredService<ConcertDbContext>().Database.GetConnectionString()!));
        Assert.Equal(PostgresConnectionString.MaxAutoPrepare, new NpgsqlConnectionStringBuilder(cs).MaxAutoPrepare);
    }

    [Fact]
    public async Task A_column_added_by_another_instances_migration_does_not_break_the_prepared_row_locks()
    {
        if (TestDatabase.ConfiguredProvider != "Postgres")
        {
            Assert.Skip("PostgreSQL only: the row locks are SELECT … FOR UPDATE there.");
        }

        await using var api = await TestApi.StartAsync();
        var (userId, token) = await api.Client.BuyerAsync(300_000);
        var reservationId = await api.Client.HoldIdAsync(token, 1);
        await api.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<ConcertDbContext>();
            await db.Database.OpenConnectionAsync();   // one connection throughout: the statements prepared on it
            try
            {
                for (var i = 0; i < 6; i++)   // Npgsql prepares a statement at its fifth use on a connection
                {
                    Assert.NotNull(await db.LockAccountAsync(userId, CancellationToken.None));
                    Assert.Single(await db.LockReservationsAsync([reservationId], userId, CancellationToken.None));
                    db.ChangeTracker.Clear();
                }

                // Another instance, newer, migrates: both tables gain a column.
                await using (var other = new NpgsqlConnection(db.Database.GetConnectionString()))
                {
                    await other.OpenAsync();
                    await using var alter = new NpgsqlCommand(
                        """ALTER TABLE "Accounts" ADD COLUMN "Extra" integer; ALTER TABLE "Reservations" ADD COLUMN "Extra" integer""", other);
                    await alter.ExecuteNonQueryAsync();
                }

                Assert.NotNull(await db.LockAccountAsync(userId, CancellationToken.None));
                Assert.Single(await db.LockReservationsAsync([reservationId], userId, CancellationToken.None));
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }

            return 0;
        });
    }
}
