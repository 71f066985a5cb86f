using System.Globalization;
using System.Reflection;

namespace Concert.Domain.UnitTests.Common;

/// <summary>
/// Gives an entity the keys the database would assign on insert (entities keep them private-set), so a test can
/// tell "copied the id" from "left it at its default".
/// </summary>
internal static class EntityIds
{
    public static T WithId<T>(this T entity, long id)
        where T : class => entity.WithKey("Id", id);

    public static T WithKey<T>(this T entity, string property, long value)
        where T : class
    {
        var info = typeof(T).GetProperty(property, BindingFlags.Public | BindingFlags.Instance)
            ?? throw new InvalidOperationException($"{typeof(T).Name} has no {property}.");
        info.SetValue(entity, Convert.ChangeType(value, info.PropertyType, CultureInfo.InvariantCulture));
        return entity;
    }
}
