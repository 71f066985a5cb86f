using Concert.Application.Common.Behaviours;
using Concert.Application.Common.Interfaces;
using Concert.Application.Queue.Commands.LeaveQueue;
using Concert.Application.UnitTests.TestSupport;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using Concert.Domain.Users;
using Mediator;
using NSubstitute;
using Concert.Application.Common.Options;
using Concert.Application.Queue;
using Concert.Application.Queue.Queries.GetQueueStatus;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Concert.Application.UnitTests.Behaviours;

/// <summary>The token look-up is EF async LINQ, so it runs against a real (in-memory SQLite) schema.</summary>
public sealed class QueueTokenBehaviourTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);

    private readonly SqliteTestDatabase _database = new();
    private readonly IQueueTokenAccessor _accessor = Substitute.For<IQueueTokenAccessor>();
    private readonly QueueTokenContext _context = new();
    private readonly ICurrentUser _caller = Substitute.For<ICurrentUser>();
    private readonly WaitingLine _line = new(new FakeTimeProvider(), Options.Create(new QueueOptions()));
    private int _nextCalls;
    private bool _contextTaken;

    public void Dispose() => _database.Dispose();

    private ValueTask<Unit> Next(LeaveQueueCommand message, CancellationToken ct)
    {
        _nextCalls++;
        return ValueTask.FromResult(Unit.Value);
    }

    private async Task<Unit> SendAsync(string? rawToken)
    {
        _accessor.RawToken.Returns(rawToken);
        await using var db = _database.NewContext();
        var behaviour = new QueueTokenBehaviour<LeaveQueueCommand, Unit>(_accessor, _caller, new(() => db), _context, _line);
        return await behaviour.Handle(new LeaveQueueCommand(), Next, CancellationToken.None);
    }

    private async Task<QueueToken> IssueAsync(string name, Action<QueueToken>? change = null)
    {
        await using var db = _database.NewContext();
        var user = User.Register(name, $"{Guid.NewGuid():N}@example.com", "not-a-real-hash", Now);
        db.Users.Add(user);
        await db.SaveChangesAsync();
        var token = QueueToken.Issue(user.Id, Now);
        change?.Invoke(token);
        db.QueueTokens.Add(token);
        await db.SaveChangesAsync();
        _caller.UserId.Returns(user.Id);   // the last user issued a token is the one signed in
        return token;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task A_request_without_a_token_is_queue_token_missing(string? raw)
    {
        await IssueAsync("Kim");

        var error = await Assert.ThrowsAsync<DomainException>(() => SendAsync(raw));

        Assert.Equal("queue_token_missing", error.Code);
        Assert.Equal(ErrorKind.Unauthorized, error.Kind);
        Assert.Equal(0, _nextCalls);
        Assert.False(_context.IsResolved);
    }

    [Fact]
    public async Task An_unknown_token_is_queue_token_invalid()
    {
        await IssueAsync("Kim");

        var error = await Assert.ThrowsAsync<DomainException>(() => SendAsync(QueueToken.NewTokenValue()));

        Assert.Equal("queue_token_invalid", error.Code);
        Assert.Equal(ErrorKind.Unauthorized, error.Kind);
        Assert.Equal(0, _nextCalls);
        Assert.False(_context.IsResolved);
    }

    [Fact]
    public async Task A_known_token_in_another_case_is_queue_token_invalid()
    {
        var issued = await IssueAsync("Kim");
        var swapped = new string(issued.Token.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());

        var error = await Assert.ThrowsAsync<DomainException>(() => SendAsync(swapped));

        Assert.Equal("queue_token_invalid", error.Code);
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task An_overlong_token_is_queue_token_invalid()
    {
        var issued = await IssueAsync("Kim");

        var error = await Assert.ThrowsAsync<DomainException>(() => SendAsync(issued.Token + new string('A', 200)));

        Assert.Equal("queue_token_invalid", error.Code);
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task A_known_waiting_token_is_resolved_for_the_rest_of_the_request()
    {
        await IssueAsync("Lee");
        var issued = await IssueAsync("Kim");

        var result = await SendAsync(issued.Token);

        Assert.Equal(Unit.Value, result);
        Assert.Equal(1, _nextCalls);
        Assert.True(_context.IsResolved);
        Assert.Equal(issued.Id, _context.Token.Id);
        Assert.Equal(issued.UserId, _context.UserId);
        Assert.Equal(QueueTokenStatus.Waiting, _context.Token.Status);
    }

    [Fact]
    public async Task An_expired_token_is_still_known_here_its_state_is_checked_later()
    {
        var issued = await IssueAsync("Kim", t => t.Expire(Now));

        await SendAsync(issued.Token);

        Assert.Equal(1, _nextCalls);
        Assert.Equal(issued.Id, _context.Token.Id);
        Assert.Equal(QueueTokenStatus.Expired, _context.Token.Status);
    }

    private async Task<QueueStatusDto> PollAsync(string rawToken)
    {
        _accessor.RawToken.Returns(rawToken);
        await using var db = _database.NewContext();
        // Records whether the request took a database context at all (from the pool, in the service).
        var taken = new Lazy<IConcertDbContext>(() =>
        {
            _contextTaken = true;
            return db;
        });
        var behaviour = new QueueTokenBehaviour<GetQueueStatusQuery, QueueStatusDto>(_accessor, _caller, taken, _context, _line);
        return await behaviour.Handle(new GetQueueStatusQuery(), (_, _) =>
        {
            _nextCalls++;
            return ValueTask.FromResult<QueueStatusDto>(null!);
        }, CancellationToken.None);
    }

    private async Task DeleteRowAsync(QueueToken token)
    {
        await using var db = _database.NewContext();
        await db.QueueTokens.Where(t => t.Id == token.Id).ExecuteDeleteAsync();
    }

    [Fact]
    public async Task A_poll_of_a_token_this_instance_knows_reads_no_row()
    {
        var issued = await IssueAsync("Kim");
        _line.Remember(issued);
        await DeleteRowAsync(issued);   // only this instance's memory can still know it

        await PollAsync(issued.Token);

        Assert.Equal(1, _nextCalls);
        Assert.False(_contextTaken);
        Assert.Null(_context.Row);
        Assert.Equal(new WaitingLine.KnownToken(issued.Id, issued.Token, issued.UserId, issued.LastSeenAt), _context.Known);
        Assert.Equal(issued.UserId, _context.UserId);
    }

    [Theory]
    [InlineData('*')]
    [InlineData('+')]
    [InlineData('/')]
    [InlineData('=')]
    [InlineData(' ')]
    [InlineData('\u00e9')]
    [InlineData('\0')]
    public async Task A_poll_with_a_token_of_the_right_length_but_not_base64url_is_queue_token_invalid(char stray)
    {
        var issued = await IssueAsync("Kim");
        _line.Remember(issued);
        var mangled = issued.Token[..20] + stray + issued.Token[21..];

        var error = await Assert.ThrowsAsync<DomainException>(() => PollAsync(mangled));

        Assert.Equal("queue_token_invalid", error.Code);
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task A_poll_with_the_known_tokens_bytes_in_other_text_is_queue_token_invalid()
    {
        var issued = await IssueAsync("Kim");
        _line.Remember(issued);
        await DeleteRowAsync(issued);
        // The last of the 43 characters carries 2 bits of padding: the next character in the alphabet differs only
        // there, so a lax decoder reads the same 32 bytes. The copy is keyed by those bytes; it must still answer only
        // for the text that was issued.
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var last = alphabet.IndexOf(issued.Token[^1], StringComparison.Ordinal);
        Assert.Equal(0, last % 4);
        var sameBytes = issued.Token[..^1] + alphabet[last + 1];

        var error = await Assert.ThrowsAsync<DomainException>(() => PollAsync(sameBytes));

        Assert.Equal("queue_token_invalid", error.Code);
        Assert.Equal(0, _nextCalls);
        await PollAsync(issued.Token);
        Assert.Equal(1, _nextCalls);
    }

    [Fact]
    public async Task A_request_that_acts_on_its_token_always_reads_its_row()
    {
        var issued = await IssueAsync("Kim");
        _line.Remember(issued);
        await DeleteRowAsync(issued);

        var error = await Assert.ThrowsAsync<DomainException>(() => SendAsync(issued.Token));

        Assert.Equal("queue_token_invalid", error.Code);
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task A_poll_of_a_token_not_known_here_reads_the_row_and_remembers_it()
    {
        var issued = await IssueAsync("Kim");

        await PollAsync(issued.Token);

        Assert.Equal(1, _nextCalls);
        Assert.True(_contextTaken);
        Assert.Equal(issued.Id, _context.Token.Id);
        Assert.True(_line.TryKnown(issued.Token, out var known));
        Assert.Equal(issued.Id, known.Id);
    }

    [Fact]
    public async Task Another_users_token_is_queue_token_invalid()
    {
        var kims = await IssueAsync("Kim");
        await IssueAsync("Lee");   // Lee is signed in

        var error = await Assert.ThrowsAsync<DomainException>(() => SendAsync(kims.Token));

        Assert.Equal("queue_token_invalid", error.Code);
        Assert.Equal(0, _nextCalls);
        Assert.False(_context.IsResolved);
    }

    [Fact]
    public async Task Another_users_token_known_here_is_queue_token_invalid_too()
    {
        var kims = await IssueAsync("Kim");
        _line.Remember(kims);
        await IssueAsync("Lee");

        var error = await Assert.ThrowsAsync<DomainException>(() => PollAsync(kims.Token));

        Assert.Equal("queue_token_invalid", error.Code);
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task Nobody_signed_in_is_unauthenticated()
    {
        var issued = await IssueAsync("Kim");
        _caller.UserId.Returns((long?)null);

        var error = await Assert.ThrowsAsync<DomainException>(() => SendAsync(issued.Token));

        Assert.Equal("unauthenticated", error.Code);
        Assert.Equal(0, _nextCalls);
    }
}
