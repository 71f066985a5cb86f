using Concert.Application.Common.Interfaces;
using Concert.Application.Queue;
using Concert.Domain.Queue;
using Concert.Infrastructure.Persistence;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Persistence;

/// <summary>
/// <see cref="IConcertDbContext.InsertTokensAsync"/> writes tokens with one statement of its own, below EF's update
/// pipeline, so every column it writes must read back through EF exactly as SaveChanges would have written it
/// (UTC timestamps, enums, nulls), and each token must get its own row's id.
/// </summary>
public sealed class InsertTokensTests
{
    [Fact]
    public async Task A_read_sent_with_the_insert_sees_the_rows_just_written_on_PostgreSQL_and_none_is_sent_elsewhere()
    {
        await using var api = await TestApi.StartAsync();
        var users = await api.Client.CreateUsersAsync(4, "Read along");

        var now = api.Clock.GetUtcNow().UtcDateTime;
        var earlier = QueueToken.Issue(users[0], now, round: 1);
        var later = QueueToken.Issue(users[1], now, round: 2);
        var active = QueueToken.Issue(users[2], now, round: 1);
        active.Activate(now, TimeSpan.FromMinutes(10));
        var last = QueueToken.Issue(users[3], now, round: 1);

        var (every, earlierRounds) = await api.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<IConcertDbContext>();
            var first = await db.InsertTokensAsync([earlier, later, active], new LineRead(0, long.MaxValue), CancellationToken.None);
            var second = await db.InsertTokensAsync([last], new LineRead(0, 2), CancellationToken.None);
            return (first, second);
        });

        Assert.All(new[] { earlier, later, active, last }, t => Assert.True(t.Id > 0));
        if (!api.Database.IsPostgres)
        {
            // SQLite reads in-process: nothing to save by sending the read along, and the caller reads for itself.
            Assert.Null(every);
            Assert.Null(earlierRounds);
            return;
        }

        // The rows the insert just wrote, in line (the active one is not), as the read saw them.
        Assert.NotNull(every);
        Assert.Equal(
            new[] { (earlier.Id, QueueTokenStatus.Waiting, 1L), (later.Id, QueueTokenStatus.Waiting, 2L) },
            every.OrderBy(r => r.Id).Select(r => (r.Id, r.Status, r.Round)));
        Assert.All(every, r => Assert.Equal(QueueToken.NotDrawn, r.DrawKey));
        // Only a round before 2, and the read sees the row its own batch just wrote.
        Assert.NotNull(earlierRounds);
        Assert.Equal(new[] { earlier.Id, last.Id }, earlierRounds.Select(r => r.Id).Order());
    }

    [Fact]
    public async Task A_read_that_fails_after_the_insert_leaves_the_insert_written_and_returns_nothing()
    {
        await using var api = await TestApi.StartAsync();
        if (!api.Database.IsPostgres)
        {
            Assert.Skip("Only PostgreSQL sends the read along with the insert.");
        }

        var user = await api.Client.CreateUserAsync("Read refused");
        var token = QueueToken.Issue(user, api.Clock.GetUtcNow().UtcDateTime);
        // A role that may insert tokens and read back what the insert returns (id, token), but not the columns the
        // read of the line selects: the insert succeeds, the read after it is refused (42501).
        var role = $"insert_only_{Guid.NewGuid():N}";   // an identifier: made here, not taken from input
        var (create, become, drop) = (
            $"CREATE ROLE {role}; GRANT INSERT, SELECT (\"Id\", \"Token\") ON \"QueueTokens\" TO {role}",
            $"SET ROLE {role}",
            $"DROP OWNED BY {role}; DROP ROLE {role}");
        var rows = await api.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<ConcertDbContext>();
            await db.Database.ExecuteSqlRawAsync(create);
            await db.Database.OpenConnectionAsync();
            try
            {
                await db.Database.ExecuteSqlRawAsync(become);
                return await db.InsertTokensAsync([token], new LineRead(0, long.MaxValue), CancellationToken.None);
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync("RESET ROLE");
                await db.Database.CloseConnectionAsync();
                await db.Database.ExecuteSqlRawAsync(drop);
            }
        });

        Assert.Null(rows);
        Assert.True(token.Id > 0, "the insert was written and gave the token its id");
        Assert.Equal(token.Token, Assert.Single(await api.TokensAsync(), t => t.UserId == user).Token);
    }

    [Fact]
    public async Task Tokens_inserted_together_read_back_as_written_each_with_its_own_id()
    {
        await using var api = await TestApi.StartAsync();
        var users = await api.Client.CreateUsersAsync(4, "Inserted");

        // Whole milliseconds: PostgreSQL keeps microseconds, .NET ticks are a tenth of that.
        var now = DateTime.SpecifyKind(new DateTime(api.Clock.GetUtcNow().UtcDateTime.Ticks / 10_000 * 10_000), DateTimeKind.Utc);
        var waiting = QueueToken.Issue(users[0], now, round: 3);
        var active = QueueToken.Issue(users[1], now);
        active.Activate(now.AddSeconds(1), TimeSpan.FromMinutes(10));
        var expired = QueueToken.Issue(users[2], now);
        expired.Expire(now.AddSeconds(2));
        var plain = QueueToken.Issue(users[3], now.AddMilliseconds(7));
        QueueToken[] tokens = [waiting, active, expired, plain];

        await api.InScopeAsync(async sp =>
        {
            await sp.GetRequiredService<IConcertDbContext>().InsertTokensAsync(tokens, CancellationToken.None);
            return 0;
        });

        Assert.Equal(tokens.Length, tokens.Select(t => t.Id).Where(id => id > 0).Distinct().Count());
        var rows = await api.InScopeAsync(sp => sp.GetRequiredService<IConcertDbContext>().QueueTokens.AsNoTracking()
            .Where(t => users.Contains(t.UserId)).ToListAsync());
        Assert.Equal(tokens.Length, rows.Count);
        foreach (var token in tokens)
        {
            var row = Assert.Single(rows, r => r.Id == token.Id);
            foreach (var property in typeof(QueueToken).GetProperties().Where(p => p.CanRead && p.GetIndexParameters().Length == 0))
            {
                Assert.True(Equals(property.GetValue(token), property.GetValue(row)),
                    $"{property.Name} of token {token.Id}: wrote {property.GetValue(token)}, read {property.GetValue(row)}");
            }
        }
    }

    [Fact]
    public async Task The_model_qualifies_so_the_one_statement_is_what_writes_them()
    {
        // Otherwise InsertTokensAsync quietly falls back to SaveChanges, and every other test here passes anyway
        // (EF 10's GetDefaultValue() returns the CLR default for every column, which once disqualified them all).
        await using var api = await TestApi.StartAsync();
        Assert.NotNull(await api.InScopeAsync(sp => Task.FromResult(TokenInsert.For(sp.GetRequiredService<ConcertDbContext>().Model))));
    }

    [Fact]
    public async Task Each_column_is_stored_as_SaveChanges_stores_it()
    {
        await using var api = await TestApi.StartAsync();
        var (one, two) = (await api.Client.CreateUserAsync("Raw"), await api.Client.CreateUserAsync("Tracked"));
        var now = api.Clock.GetUtcNow().UtcDateTime;
        var inserted = QueueToken.Issue(one, now, round: 2);
        inserted.Activate(now.AddSeconds(1), TimeSpan.FromMinutes(10));
        var saved = QueueToken.Issue(two, now, round: 2);
        saved.Activate(now.AddSeconds(1), TimeSpan.FromMinutes(10));

        var stored = await api.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<ConcertDbContext>();
            await db.InsertTokensAsync([inserted], andRead: null, CancellationToken.None);
            db.QueueTokens.Add(saved);
            await db.SaveChangesAsync();
            return (await StoredAsync(db, inserted.Id), await StoredAsync(db, saved.Id));
        });

        foreach (var (column, value) in stored.Item2)
        {
            if (column is not ("Id" or "Token" or "UserId" or "LiveUserId"))
            {
                Assert.True(Equals(value, stored.Item1[column]), $"{column}: SaveChanges stored {value}, the insert {stored.Item1[column]}");
            }
        }
    }

    [Fact]
    public async Task A_row_its_users_live_token_refuses_is_skipped_and_the_rest_are_written()
    {
        await using var api = await TestApi.StartAsync();
        var (joined, fresh) = (await api.Client.CreateUserAsync("Joined"), await api.Client.CreateUserAsync("Fresh"));
        var live = (await api.Client.JoinQueueAsync(joined)).GetProperty("token").GetString();
        var now = api.Clock.GetUtcNow().UtcDateTime;
        QueueToken[] tokens = [QueueToken.Issue(joined, now), QueueToken.Issue(fresh, now), QueueToken.Issue(joined, now)];

        await api.InScopeAsync(async sp =>
        {
            await sp.GetRequiredService<IConcertDbContext>().InsertTokensAsync(tokens, CancellationToken.None);
            return 0;
        });

        Assert.Equal(0, tokens[0].Id);
        Assert.Equal(0, tokens[2].Id);
        Assert.True(tokens[1].Id > 0, "the fresh user's token was written");
        var rows = await api.TokensAsync();
        Assert.Equal(tokens[1].Token, Assert.Single(rows, r => r.UserId == fresh).Token);
        Assert.Equal(live, Assert.Single(rows, r => r.UserId == joined).Token);
        Assert.True(api.Services.GetService<SqliteWriterGate>()?.IsFree ?? true, "the insert kept its writer turn");
    }

    [Fact]
    public async Task A_row_of_a_user_the_database_does_not_have_writes_none_of_its_statement_and_says_so()
    {
        await using var api = await TestApi.StartAsync();
        var fresh = await api.Client.CreateUserAsync("Fresh");
        var now = api.Clock.GetUtcNow().UtcDateTime;
        QueueToken[] tokens = [QueueToken.Issue(fresh, now), QueueToken.Issue(fresh + 1_000_000, now)];

        await api.InScopeAsync(async sp =>
        {
            await Assert.ThrowsAsync<DbUpdateException>(() =>
                sp.GetRequiredService<IConcertDbContext>().InsertTokensAsync(tokens, CancellationToken.None));
            return 0;
        });

        Assert.DoesNotContain(await api.TokensAsync(), r => r.UserId == fresh);
        Assert.All(tokens, t => Assert.Equal(0, t.Id));
        // SQLite: the writer's turn came back with the failed statement.
        Assert.True(api.Services.GetService<SqliteWriterGate>()?.IsFree ?? true, "the failed insert kept its writer turn");
    }

    /// <summary>The row as the provider returns it, column by column, read with plain ADO.NET.</summary>
    private static async Task<Dictionary<string, object>> StoredAsync(ConcertDbContext db, long id)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"""SELECT * FROM "QueueTokens" WHERE "Id" = {id}""";
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            return Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, reader.GetValue);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
