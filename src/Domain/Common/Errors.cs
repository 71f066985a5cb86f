namespace Concert.Domain.Common;

/// <summary>The contract's error catalogue: one factory per stable code.</summary>
public static class Errors
{
    public static DomainException Unauthenticated() =>
        new(ErrorKind.Unauthorized, "unauthenticated", "Sign in first: this endpoint needs a valid bearer token.");

    public static DomainException InvalidCredentials() =>
        new(ErrorKind.Unauthorized, "invalid_credentials", "The email or the password is wrong.");

    public static DomainException TooManyAttempts(TimeSpan retryAfter) =>
        new(ErrorKind.TooManyRequests, "too_many_attempts",
            "Too many failed sign-ins to this account; try again after the Retry-After seconds.", retryAfter);

    public static DomainException RateLimited(TimeSpan retryAfter) =>
        new(ErrorKind.TooManyRequests, "rate_limited",
            "Too many open streams here; poll instead, and try a stream again after the Retry-After seconds.", retryAfter);

    public static DomainException EmailTaken() =>
        new(ErrorKind.Conflict, "email_taken", "An account with this email already exists.");

    public static DomainException Forbidden() =>
        new(ErrorKind.Forbidden, "forbidden", "This needs an operator's account.");

    public static DomainException UserNotFound() =>
        new(ErrorKind.NotFound, "user_not_found", "No user has this id.");

    public static DomainException ConcertNotFound() =>
        new(ErrorKind.NotFound, "concert_not_found", "No concert has this id.");

    public static DomainException ScheduleNotFound() =>
        new(ErrorKind.NotFound, "schedule_not_found", "This concert has no schedule with this id.");

    public static DomainException SeatNotFound() =>
        new(ErrorKind.NotFound, "seat_not_found", "No seat has this id.");

    public static DomainException ReservationNotFound() =>
        new(ErrorKind.NotFound, "reservation_not_found", "You have no reservation with this id.");

    public static DomainException QueueTokenMissing() =>
        new(ErrorKind.Unauthorized, "queue_token_missing", "This endpoint needs a queue token in the Queue-Token header.");

    public static DomainException QueueTokenInvalid() =>
        new(ErrorKind.Unauthorized, "queue_token_invalid", "The queue token is not known.");

    public static DomainException QueueTokenWaiting() =>
        new(ErrorKind.Forbidden, "queue_token_waiting", "The queue token is still waiting for its turn.");

    public static DomainException QueueTokenExpired() =>
        new(ErrorKind.Forbidden, "queue_token_expired", "The queue token has expired; join the queue again.");

    public static DomainException SeatUnavailable() =>
        new(ErrorKind.Conflict, "seat_unavailable", "The seat is already held or sold.");

    public static DomainException HoldLimitReached(int max) =>
        new(ErrorKind.Conflict, "hold_limit_reached", $"You already hold {max} seats; pay or cancel one first.");

    public static DomainException TicketLimitReached(int max) =>
        new(ErrorKind.Conflict, "ticket_limit_reached",
            $"You already have {max} seats of this performance, held or paid; cancel a hold to choose another.");

    public static DomainException ReservationExpired() =>
        new(ErrorKind.Conflict, "reservation_expired", "The hold on this reservation has lapsed or was cancelled.");

    public static DomainException ReservationAlreadyPaid() =>
        new(ErrorKind.Conflict, "reservation_already_paid", "This reservation is already paid.");

    public static DomainException InsufficientBalance() =>
        new(ErrorKind.Conflict, "insufficient_balance", "The balance does not cover the price.");

    public static DomainException BalanceLimitExceeded(long max) =>
        new(ErrorKind.Conflict, "balance_limit_exceeded", $"The balance may not pass {max:N0} won.");

    public static DomainException IdempotencyKeyInProgress() =>
        new(ErrorKind.Conflict, "idempotency_key_in_progress", "A request with this Idempotency-Key is still running; retry shortly.");

    public static DomainException IdempotencyKeyReused() =>
        new(ErrorKind.Unprocessable, "idempotency_key_reused", "This Idempotency-Key was already used with a different request.");

    public static DomainException DrawNotFound() =>
        new(ErrorKind.NotFound, "draw_not_found", "No opening has been scheduled or held yet, so there is no draw.");

    public static DomainException OpeningInPast() =>
        new(ErrorKind.Conflict, "opening_in_past", "An opening can only be scheduled or moved to a time in the future.");

    public static DomainException Invalid(string message) =>
        new(ErrorKind.Validation, "validation_failed", message);
}
