using System.Collections.Concurrent;
using System.Data.Common;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// A newcomer's place comes from the one read its group commit makes after committing (<c>JoinedSince</c>), not from
/// a count of its own: the places are right either way (the place tests), so only the statements sent can tell that
/// the shortcut is taken.
/// </summary>
public sealed class JoinPlaceReadTests
{
    [Fact]
    public async Task Newcomers_are_placed_from_their_commits_read_without_a_count_each()
    {
        var statements = new Statements();
        await using var api = await TestApi.StartAsync(o =>
        {
            o.MaxActiveTokens = 1;
            o.Settings["Queue:LineReadInterval"] = "01:00:00";   // the copy stays as the first admission read it
            o.Intercept(statements);
        });
        await api.Client.NewUserJoinsAsync();   // admitted: the room is full from here on
        statements.Clear();

        for (var place = 1; place <= 5; place++)
        {
            var (_, status) = await api.Client.NewUserJoinsAsync();
            QueueReads.AssertWaiting(status, position: place);
        }

        // Rows in line found by the primary key (`"Status" + 0`): read by each commit, never counted per join. On
        // PostgreSQL the read goes in the insert's own batch, below EF's interceptors: none is sent on its own (a
        // read that failed there would be, and a join placed without any read would count).
        Assert.Equal(api.Database.IsPostgres ? 0 : 5, statements.Count(sql => sql.Contains("\"Status\" + 0", StringComparison.Ordinal)
                                               && !sql.Contains("COUNT(", StringComparison.OrdinalIgnoreCase)));
        Assert.Equal(0, statements.Count(sql => sql.Contains("\"Status\" + 0", StringComparison.Ordinal)
                                               && sql.Contains("COUNT(", StringComparison.OrdinalIgnoreCase)));
    }

    private sealed class Statements : DbCommandInterceptor
    {
        private readonly ConcurrentQueue<string> _sent = new();

        public void Clear() => _sent.Clear();

        public int Count(Func<string, bool> which) => _sent.Count(which);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result,
            CancellationToken cancellationToken = default)
        {
            _sent.Enqueue(command.CommandText);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<object> result,
            CancellationToken cancellationToken = default)
        {
            _sent.Enqueue(command.CommandText);
            return ValueTask.FromResult(result);
        }
    }
}
