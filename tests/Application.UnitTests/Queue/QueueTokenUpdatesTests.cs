using Concert.Application.Queue;
using Concert.Domain.Queue;

namespace Concert.Application.UnitTests.Queue;

/// <summary>The SQL-side rules agree with the entity's, token by token.</summary>
public sealed class QueueTokenUpdatesTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(6);

    public static TheoryData<string, double> Cases => new()
    {
        { "waiting", 0 },
        { "active", 0 },
        { "active", 9.99 },
        { "active", 10 },
        { "active", 11 },
        { "expired", 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ActiveAt_agrees_with_StatusAt(string state, double minutesLater)
    {
        var token = QueueToken.Issue(7, Now);
        if (state != "waiting")
        {
            token.Activate(Now, Lifetime);
        }

        if (state == "expired")
        {
            token.Expire(Now);
        }

        var at = Now.AddMinutes(minutesLater);

        Assert.Equal(
            token.StatusAt(at, IdleTimeout) == QueueTokenStatus.Active,
            QueueTokenUpdates.ActiveAt(at).Compile()(token));
    }
}
