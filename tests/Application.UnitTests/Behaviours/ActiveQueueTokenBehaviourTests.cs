using Concert.Application.Queue;
using Concert.Application.Common.Behaviours;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
using Concert.Application.Reservations.Commands.CancelReservation;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using Mediator;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Concert.Application.UnitTests.Behaviours;

public sealed class ActiveQueueTokenBehaviourTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly QueueOptions Options = new();

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly QueueTokenContext _context = new();
    private int _nextCalls;

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    private ValueTask<Unit> Next(CancelReservationCommand message, CancellationToken ct)
    {
        _nextCalls++;
        return ValueTask.FromResult(Unit.Value);
    }

    private ValueTask<Unit> SendAsync() =>
        new ActiveQueueTokenBehaviour<CancelReservationCommand, Unit>(_context, _clock, Microsoft.Extensions.Options.Options.Create(Options))
            .Handle(new CancelReservationCommand(5), Next, CancellationToken.None);

    private QueueToken Resolve(Action<QueueToken>? change = null)
    {
        var token = QueueToken.Issue(7, Now);
        change?.Invoke(token);
        _context.Set(token, new WaitingLine.KnownToken(token.Id, token.Token, token.UserId, token.LastSeenAt));
        return token;
    }

    private async Task AssertRefusedAsync(string code)
    {
        var error = await Assert.ThrowsAsync<DomainException>(async () => await SendAsync());
        Assert.Equal(code, error.Code);
        Assert.Equal(ErrorKind.Forbidden, error.Kind);
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task An_active_token_reaches_the_handler()
    {
        Resolve(t => t.Activate(Now, Options.ActiveTokenLifetime));

        var result = await SendAsync();

        Assert.Equal(Unit.Value, result);
        Assert.Equal(1, _nextCalls);
    }

    [Fact]
    public async Task An_active_token_reaches_the_handler_until_the_last_moment_of_its_window()
    {
        Resolve(t => t.Activate(Now, Options.ActiveTokenLifetime));
        _clock.Advance(Options.ActiveTokenLifetime - TimeSpan.FromTicks(1));

        await SendAsync();

        Assert.Equal(1, _nextCalls);
    }

    [Fact]
    public async Task A_waiting_token_is_queue_token_waiting()
    {
        Resolve();

        await AssertRefusedAsync("queue_token_waiting");
    }

    [Fact]
    public async Task An_expired_token_is_queue_token_expired()
    {
        Resolve(t =>
        {
            t.Activate(Now, Options.ActiveTokenLifetime);
            t.Expire(Now);
        });

        await AssertRefusedAsync("queue_token_expired");
    }

    [Fact]
    public async Task An_active_token_past_its_window_is_queue_token_expired_before_any_sweep()
    {
        var token = Resolve(t => t.Activate(Now, Options.ActiveTokenLifetime));
        _clock.Advance(Options.ActiveTokenLifetime);

        await AssertRefusedAsync("queue_token_expired");
        Assert.Equal(QueueTokenStatus.Active, token.Status);
    }

    [Fact]
    public async Task A_waiting_token_idle_past_the_timeout_is_queue_token_expired()
    {
        Resolve();
        _clock.Advance(Options.IdleExpiryAfterLastRecordedPoll);

        await AssertRefusedAsync("queue_token_expired");
    }

    [Fact]
    public async Task Without_a_resolved_token_nothing_gets_through()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await SendAsync());

        Assert.Equal(0, _nextCalls);
    }
}
