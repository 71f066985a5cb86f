using Concert.Application.Accounts;
using Concert.Application.Accounts.Queries.GetBalance;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Accounts;
using Concert.Domain.Common;
using Microsoft.EntityFrameworkCore;
using NSubstitute;

namespace Concert.Application.UnitTests.Accounts;

public sealed class GetBalanceQueryHandlerTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);

    private readonly IConcertDbContext _db = Substitute.For<IConcertDbContext>();
    private readonly DbSet<Account> _accounts = Substitute.For<DbSet<Account>>();

    public GetBalanceQueryHandlerTests()
    {
        _db.Accounts.Returns(_accounts);
        _accounts.FindAsync(Arg.Any<object?[]?>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult<Account?>(null));
    }

    [Fact]
    public async Task Balance_of_an_existing_user_is_read_by_primary_key()
    {
        var account = Account.Open(7, Now);
        account.Charge(42_000, Now);
        _accounts.FindAsync(Arg.Is<object?[]?>(k => k != null && k.Length == 1 && Equals(k[0], 7L)), Arg.Any<CancellationToken>())
            .Returns(ValueTask.FromResult<Account?>(account));

        var result = await new GetBalanceQueryHandler(_db).Handle(new GetBalanceQuery(7), CancellationToken.None);

        Assert.Equal(new BalanceDto(7, 42_000), result);
    }

    [Fact]
    public async Task Balance_of_a_new_user_is_zero()
    {
        _accounts.FindAsync(Arg.Is<object?[]?>(k => k != null && Equals(k[0], 8L)), Arg.Any<CancellationToken>())
            .Returns(ValueTask.FromResult<Account?>(Account.Open(8, Now)));

        var result = await new GetBalanceQueryHandler(_db).Handle(new GetBalanceQuery(8), CancellationToken.None);

        Assert.Equal(new BalanceDto(8, 0), result);
    }

    [Fact]
    public async Task Balance_of_a_missing_user_is_user_not_found()
    {
        var error = await Assert.ThrowsAsync<DomainException>(
            async () => await new GetBalanceQueryHandler(_db).Handle(new GetBalanceQuery(404), CancellationToken.None));

        Assert.Equal("user_not_found", error.Code);
        Assert.Equal(ErrorKind.NotFound, error.Kind);
        await _accounts.Received(1).FindAsync(
            Arg.Is<object?[]?>(k => k != null && k.Length == 1 && Equals(k[0], 404L)), Arg.Any<CancellationToken>());
    }
}
