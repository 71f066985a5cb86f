using System.Globalization;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// A path id. Anything that is not a positive integer below 2^53 binds to an id no row has, so the use case answers
/// its own 404 <c>*_not_found</c> — as the contract asks — instead of a binding error.
/// </summary>
public readonly record struct RouteId(long Value)
{
    public const long MaxSafeInteger = (1L << 53) - 1;

    public static bool TryParse(string? value, IFormatProvider? provider, out RouteId id)
    {
        id = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= MaxSafeInteger
            ? new RouteId(n)
            : new RouteId(-1);
        return true;
    }

    public static implicit operator long(RouteId id) => id.Value;
}
