namespace Concert.Application.Common.Options;

public sealed class PaymentOptions
{
    public const string Section = "Payments";

    public TimeSpan IdempotencyKeyRetention { get; set; } = TimeSpan.FromHours(24);
}
