using System.Globalization;
using FluentValidation;

namespace Concert.Application.Common.Paging;

/// <summary>
/// Keyset paging of a newest-first list: <c>limit</c> 1–100 (default 50) and <c>before</c>, an id (only rows with a
/// smaller id). Both come as the raw query-string values, so that a bad one is a validation error, not a binding one.
/// </summary>
public interface IPagedQuery
{
    string? Limit { get; }

    string? Before { get; }
}

public static class Page
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    /// <summary>Ids stay below 2^53 (the contract), so a larger <c>before</c> cannot name an entry.</summary>
    public const long MaxId = (1L << 53) - 1;

    public static int LimitOf(IPagedQuery query) => query.Limit is null ? DefaultLimit : Parse(query.Limit);

    /// <summary>The exclusive upper bound on ids: <c>before</c>, or no bound.</summary>
    public static long BeforeOf(IPagedQuery query) =>
        query.Before is null ? long.MaxValue : long.Parse(query.Before, NumberStyles.None, CultureInfo.InvariantCulture);

    private static int Parse(string value) => int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);

    public static void AddPagingRules<T>(this AbstractValidator<T> validator)
        where T : IPagedQuery
    {
        validator.RuleFor(q => q.Limit)
            .Must(l => l is null || (int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                                     && n is >= 1 and <= MaxLimit))
            .WithMessage($"limit is a whole number from 1 to {MaxLimit}.");
        validator.RuleFor(q => q.Before)
            .Must(b => b is null || (long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                                     && id is >= 1 and <= MaxId))
            .WithMessage("before is an id: a whole number from 1.");
    }
}
