using Concert.Application.Accounts;
using Concert.Application.Accounts.Commands.ChargeBalance;
using Concert.Application.Common;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Accounts;
using Concert.Domain.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace Concert.Application.UnitTests.Accounts;

public sealed class ChargeBalanceCommandHandlerTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly IConcertDbContext _db = Substitute.For<IConcertDbContext>();
    private readonly DbSet<BalanceEntry> _entries = Substitute.For<DbSet<BalanceEntry>>();
    private readonly List<BalanceEntry> _added = [];
    private readonly CancellationTokenSource _transactionToken = new();
    private bool _inTransaction;
    private int _savesInsideTransaction;

    public ChargeBalanceCommandHandlerTests()
    {
        _db.BalanceEntries.Returns(_entries);
        _entries.Add(Arg.Do<BalanceEntry>(_added.Add));
        // The port runs the unit of work; here it simply runs it once, with its own token, and notes that it did.
        _db.InTransactionAsync(Arg.Any<Func<CancellationToken, Task<long>>>(), Arg.Any<CancellationToken>())
            .Returns(async ci =>
            {
                _inTransaction = true;
                try
                {
                    return await ci.Arg<Func<CancellationToken, Task<long>>>()(_transactionToken.Token);
                }
                finally
                {
                    _inTransaction = false;
                }
            });
        _db.SaveChangesAsync(Arg.Any<CancellationToken>()).Returns(_ =>
        {
            if (_inTransaction)
            {
                _savesInsideTransaction++;
            }

            return 1;
        });
    }

    // OneWriterAtATime is false here: the locked path, as on PostgreSQL and SQL Server (SQLite's shared commits are
    // raced for real in the functional tests' UnitCommitsTests).
    private ChargeBalanceCommandHandler Handler() =>
        new(_db, _clock, NullLogger<ChargeBalanceCommandHandler>.Instance, new UnitCommits(Substitute.For<IServiceScopeFactory>()));

    private static Account AccountWith(long userId, long balance)
    {
        var account = Account.Open(userId, Start.UtcDateTime);
        for (var left = balance; left > 0; left -= Math.Min(left, Account.MaxCharge))
        {
            account.Charge(Math.Min(left, Account.MaxCharge), Start.UtcDateTime);
        }

        return account;
    }

    [Fact]
    public async Task Charge_adds_to_the_locked_account_and_records_one_entry_in_the_transaction()
    {
        var account = AccountWith(7, 10_000);
        _db.LockAccountAsync(7, Arg.Any<CancellationToken>()).Returns(account);
        _clock.Advance(TimeSpan.FromMinutes(3));
        using var request = new CancellationTokenSource();

        var result = await Handler().Handle(new ChargeBalanceCommand(7, 5_000), request.Token);

        Assert.Equal(new BalanceDto(7, 15_000), result);
        Assert.Equal(15_000, account.Balance);
        var entry = Assert.Single(_added);
        Assert.Equal(7, entry.UserId);
        Assert.Equal(BalanceEntryKind.Charge, entry.Kind);
        Assert.Equal(5_000, entry.Amount);
        Assert.Equal(15_000, entry.BalanceAfter);
        Assert.Null(entry.PaymentId);
        Assert.Equal(Start.AddMinutes(3).UtcDateTime, entry.CreatedAt);
        Assert.Equal(1, _savesInsideTransaction);
        await _db.Received(1).SaveChangesAsync(Arg.Any<CancellationToken>());
        // The request's token goes to the transaction, and the transaction's token to the work inside it.
        await _db.Received(1).InTransactionAsync(Arg.Any<Func<CancellationToken, Task<long>>>(), request.Token);
        await _db.Received(1).LockAccountAsync(7, _transactionToken.Token);
        await _db.Received(1).SaveChangesAsync(_transactionToken.Token);
    }

    [Fact]
    public async Task Charge_may_bring_the_balance_exactly_to_the_cap()
    {
        var account = AccountWith(7, Account.MaxBalance - 10);
        _db.LockAccountAsync(7, Arg.Any<CancellationToken>()).Returns(account);

        var result = await Handler().Handle(new ChargeBalanceCommand(7, 10), CancellationToken.None);

        Assert.Equal(new BalanceDto(7, Account.MaxBalance), result);
        var entry = Assert.Single(_added);
        Assert.Equal(10, entry.Amount);
        Assert.Equal(Account.MaxBalance, entry.BalanceAfter);
        Assert.Equal(1, _savesInsideTransaction);
    }

    [Fact]
    public async Task Charge_for_a_missing_user_is_user_not_found_and_saves_nothing()
    {
        _db.LockAccountAsync(Arg.Any<long>(), Arg.Any<CancellationToken>()).Returns((Account?)null);

        var error = await Assert.ThrowsAsync<DomainException>(
            async () => await Handler().Handle(new ChargeBalanceCommand(404, 5_000), CancellationToken.None));

        Assert.Equal("user_not_found", error.Code);
        Assert.Equal(ErrorKind.NotFound, error.Kind);
        Assert.Empty(_added);
        _entries.DidNotReceiveWithAnyArgs().Add(default!);
        await _db.DidNotReceiveWithAnyArgs().SaveChangesAsync(default);
    }

    [Fact]
    public async Task Charge_past_the_cap_is_balance_limit_exceeded_and_changes_nothing()
    {
        var account = AccountWith(7, Account.MaxBalance - 10);
        _db.LockAccountAsync(7, Arg.Any<CancellationToken>()).Returns(account);

        var error = await Assert.ThrowsAsync<DomainException>(
            async () => await Handler().Handle(new ChargeBalanceCommand(7, 11), CancellationToken.None));

        Assert.Equal("balance_limit_exceeded", error.Code);
        Assert.Equal(ErrorKind.Conflict, error.Kind);
        Assert.Equal(Account.MaxBalance - 10, account.Balance);
        Assert.Empty(_added);
        _entries.DidNotReceiveWithAnyArgs().Add(default!);
        await _db.DidNotReceiveWithAnyArgs().SaveChangesAsync(default);
    }

    [Fact]
    public async Task Each_charge_builds_on_the_balance_the_previous_one_left()
    {
        var account = AccountWith(7, 0);
        _db.LockAccountAsync(7, Arg.Any<CancellationToken>()).Returns(account);
        var handler = Handler();

        var first = await handler.Handle(new ChargeBalanceCommand(7, 1_000), CancellationToken.None);
        var second = await handler.Handle(new ChargeBalanceCommand(7, 2_500), CancellationToken.None);

        Assert.Equal(1_000, first.Balance);
        Assert.Equal(3_500, second.Balance);
        Assert.Equal([1_000L, 2_500L], _added.Select(e => e.Amount));
        Assert.Equal([1_000L, 3_500L], _added.Select(e => e.BalanceAfter));
        Assert.Equal(2, _savesInsideTransaction);
    }
}
