using System.Reflection;
using Concert.Domain.Common;

namespace Concert.Domain.UnitTests.Common;

public sealed class ErrorsTests
{
    /// <summary>Every code the domain raises, with the kind (and so the HTTP status) the contract gives it.</summary>
    public static TheoryData<string, ErrorKind, int> Catalogue => new()
    {
        { "unauthenticated", ErrorKind.Unauthorized, 401 },
        { "invalid_credentials", ErrorKind.Unauthorized, 401 },
        { "too_many_attempts", ErrorKind.TooManyRequests, 429 },
        { "email_taken", ErrorKind.Conflict, 409 },
        { "rate_limited", ErrorKind.TooManyRequests, 429 },
        { "forbidden", ErrorKind.Forbidden, 403 },
        { "user_not_found", ErrorKind.NotFound, 404 },
        { "concert_not_found", ErrorKind.NotFound, 404 },
        { "schedule_not_found", ErrorKind.NotFound, 404 },
        { "seat_not_found", ErrorKind.NotFound, 404 },
        { "reservation_not_found", ErrorKind.NotFound, 404 },
        { "queue_token_missing", ErrorKind.Unauthorized, 401 },
        { "queue_token_invalid", ErrorKind.Unauthorized, 401 },
        { "queue_token_waiting", ErrorKind.Forbidden, 403 },
        { "queue_token_expired", ErrorKind.Forbidden, 403 },
        { "seat_unavailable", ErrorKind.Conflict, 409 },
        { "hold_limit_reached", ErrorKind.Conflict, 409 },
        { "draw_not_found", ErrorKind.NotFound, 404 },
        { "opening_in_past", ErrorKind.Conflict, 409 },
        { "ticket_limit_reached", ErrorKind.Conflict, 409 },
        { "reservation_expired", ErrorKind.Conflict, 409 },
        { "reservation_already_paid", ErrorKind.Conflict, 409 },
        { "insufficient_balance", ErrorKind.Conflict, 409 },
        { "balance_limit_exceeded", ErrorKind.Conflict, 409 },
        { "idempotency_key_in_progress", ErrorKind.Conflict, 409 },
        { "idempotency_key_reused", ErrorKind.Unprocessable, 422 },
        { "validation_failed", ErrorKind.Validation, 400 },
    };

    private static readonly Dictionary<ErrorKind, int> StatusOfKind = new()
    {
        [ErrorKind.Validation] = 400,
        [ErrorKind.Unauthorized] = 401,
        [ErrorKind.Forbidden] = 403,
        [ErrorKind.NotFound] = 404,
        [ErrorKind.Conflict] = 409,
        [ErrorKind.Unprocessable] = 422,
        [ErrorKind.TooManyRequests] = 429,
    };

    [Theory]
    [MemberData(nameof(Catalogue))]
    public void Each_contract_code_has_one_factory_with_the_contracts_kind(string code, ErrorKind kind, int status)
    {
        var made = AllFactoryResults().Where(e => e.Code == code).ToList();

        var error = Assert.Single(made);
        Assert.Equal(kind, error.Kind);
        Assert.Equal(status, StatusOfKind[error.Kind]);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Every_factory_makes_a_contract_code()
    {
        var contractCodes = Catalogue.Select(row => row.Data.Item1).ToHashSet();

        var made = AllFactoryResults();

        Assert.Equal(typeof(Errors).GetMethods(BindingFlags.Public | BindingFlags.Static).Length, made.Count);
        Assert.All(made, e => Assert.Contains(e.Code, contractCodes));
        Assert.Equal(contractCodes.Count, made.Select(e => e.Code).Distinct().Count());
    }

    [Fact]
    public void Parameterised_factories_put_their_figure_in_the_message()
    {
        Assert.Contains("4", Errors.HoldLimitReached(4).Message, StringComparison.Ordinal);
        Assert.Contains("3", Errors.HoldLimitReached(3).Message, StringComparison.Ordinal);
        Assert.Contains("4", Errors.TicketLimitReached(4).Message, StringComparison.Ordinal);
        Assert.Contains("2", Errors.TicketLimitReached(2).Message, StringComparison.Ordinal);
        Assert.Equal("A name is too long.", Errors.Invalid("A name is too long.").Message);
        var limit = Errors.BalanceLimitExceeded(100_000_000).Message;
        Assert.Contains(100_000_000.ToString("N0", System.Globalization.CultureInfo.CurrentCulture), limit, StringComparison.Ordinal);
    }

    private static List<DomainException> AllFactoryResults() =>
        typeof(Errors).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Select(m => (DomainException)m.Invoke(null, m.GetParameters().Select(Sample).ToArray())!)
            .ToList();

    private static object Sample(ParameterInfo parameter) => parameter.ParameterType switch
    {
        var t when t == typeof(int) => 4,
        var t when t == typeof(long) => 100_000_000L,
        var t when t == typeof(string) => "A sentence for people.",
        var t when t == typeof(TimeSpan) => TimeSpan.FromMinutes(5),
        var t => throw new InvalidOperationException($"Add a sample for {t.Name}."),
    };
}
