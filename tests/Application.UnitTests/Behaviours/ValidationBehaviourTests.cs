using Concert.Application.Accounts;
using Concert.Application.Accounts.Commands.ChargeBalance;
using Concert.Application.Common.Behaviours;
using FluentValidation;

namespace Concert.Application.UnitTests.Behaviours;

public sealed class ValidationBehaviourTests
{
    private static readonly BalanceDto Answer = new(7, 5_000);

    private int _nextCalls;

    private ValueTask<BalanceDto> Next(ChargeBalanceCommand message, CancellationToken ct)
    {
        _nextCalls++;
        return ValueTask.FromResult(Answer);
    }

    private static ValidationBehaviour<ChargeBalanceCommand, BalanceDto> Behaviour(params IValidator<ChargeBalanceCommand>[] validators) =>
        new(validators);

    [Fact]
    public async Task A_failing_validator_stops_the_request_before_the_handler()
    {
        var behaviour = Behaviour(new ChargeBalanceCommandValidator());

        var error = await Assert.ThrowsAsync<ValidationException>(
            async () => await behaviour.Handle(new ChargeBalanceCommand(7, 0), Next, CancellationToken.None));

        var failure = Assert.Single(error.Errors);
        Assert.Equal(nameof(ChargeBalanceCommand.Amount), failure.PropertyName);
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task Failures_of_every_validator_are_reported_together()
    {
        var userRule = new InlineValidator<ChargeBalanceCommand>();
        userRule.RuleFor(c => c.UserId).GreaterThan(0);
        var behaviour = Behaviour(new ChargeBalanceCommandValidator(), userRule);

        var error = await Assert.ThrowsAsync<ValidationException>(
            async () => await behaviour.Handle(new ChargeBalanceCommand(-1, 1_000_001), Next, CancellationToken.None));

        Assert.Equal(
            [nameof(ChargeBalanceCommand.Amount), nameof(ChargeBalanceCommand.UserId)],
            error.Errors.Select(e => e.PropertyName).Order(StringComparer.Ordinal));
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task One_failing_validator_among_passing_ones_still_stops_the_request()
    {
        var userRule = new InlineValidator<ChargeBalanceCommand>();
        userRule.RuleFor(c => c.UserId).GreaterThan(0);
        var behaviour = Behaviour(new ChargeBalanceCommandValidator(), userRule);

        var error = await Assert.ThrowsAsync<ValidationException>(
            async () => await behaviour.Handle(new ChargeBalanceCommand(0, 5_000), Next, CancellationToken.None));

        Assert.Equal(nameof(ChargeBalanceCommand.UserId), Assert.Single(error.Errors).PropertyName);
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task A_valid_request_reaches_the_handler_once_and_gets_its_answer()
    {
        var behaviour = Behaviour(new ChargeBalanceCommandValidator());
        var command = new ChargeBalanceCommand(7, 5_000);
        ChargeBalanceCommand? seen = null;

        var result = await behaviour.Handle(command, (m, ct) => { seen = m; return Next(m, ct); }, CancellationToken.None);

        Assert.Same(Answer, result);
        Assert.Equal(1, _nextCalls);
        Assert.Same(command, seen);
    }

    [Fact]
    public async Task A_request_without_validators_reaches_the_handler()
    {
        var result = await Behaviour().Handle(new ChargeBalanceCommand(7, 0), Next, CancellationToken.None);

        Assert.Same(Answer, result);
        Assert.Equal(1, _nextCalls);
    }
}
