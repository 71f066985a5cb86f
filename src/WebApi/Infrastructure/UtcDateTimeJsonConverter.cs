using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Timestamps leave the service as ISO-8601 UTC with a trailing Z, whatever the provider handed back, to the
/// microsecond: PostgreSQL keeps no finer, so a value written as an answer (a payment's paidAt, a hold's heldUntil)
/// reads back the same from the database later. Both this format and Npgsql truncate the last tick digit.
/// </summary>
public sealed class UtcDateTimeJsonConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset().UtcDateTime;

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
    {
        var utc = value.Kind == DateTimeKind.Utc ? value : DateTime.SpecifyKind(value, DateTimeKind.Utc);
        writer.WriteStringValue(utc.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", CultureInfo.InvariantCulture));
    }
}
