using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using FluentValidation;
using Mediator;
using Microsoft.Extensions.Logging;

namespace Concert.Application.Queue.Commands.UpdateWaitingRoom;

/// <summary>An operator's change to the room; a member left out stays as it is. <see cref="OpensAtGiven"/> tells
/// a cleared opening (<c>"opensAt": null</c>) from one not mentioned.</summary>
public sealed record UpdateWaitingRoomCommand(int? MaxActiveTokens, bool? Paused, bool OpensAtGiven, DateTime? OpensAt)
    : ICommand<WaitingRoomDto>;

public sealed class UpdateWaitingRoomCommandValidator : AbstractValidator<UpdateWaitingRoomCommand>
{
    public UpdateWaitingRoomCommandValidator() =>
        RuleFor(c => c.MaxActiveTokens)
            .InclusiveBetween(1, QueueGate.MaxCap)
            .When(c => c.MaxActiveTokens is not null)
            .WithMessage($"maxActiveTokens is a whole number from 1 to {QueueGate.MaxCap:N0}.");
}

/// <summary>
/// Stored in the room's row under its lock, so a change never interleaves with an admission decision; then one
/// admission pass here, so the change shows at once on this instance (a cleared opening is drawn, a raised cap
/// filled, a resume admits), and every other instance's next pass — within <c>AdmissionInterval</c> — reads it.
/// </summary>
public sealed class UpdateWaitingRoomCommandHandler(
    IConcertDbContext db, QueueService queue, WaitingLine line, ICurrentUser caller,
    ILogger<UpdateWaitingRoomCommandHandler> logger)
    : ICommandHandler<UpdateWaitingRoomCommand, WaitingRoomDto>
{
    public async ValueTask<WaitingRoomDto> Handle(UpdateWaitingRoomCommand command, CancellationToken cancellationToken)
    {
        await db.InTransactionAsync(async ct =>
        {
            var room = await db.LockQueueGateAsync(ct);
            var now = queue.Now;
            if (command.OpensAtGiven)
            {
                if (command.OpensAt <= now)
                {
                    throw Errors.OpeningInPast();
                }

                if (room.PendingDrawId is not null)
                {
                    room.MoveOpening(command.OpensAt, now);   // the seed and its commitment stay
                }
                else if (command.OpensAt is { } opensAt)
                {
                    var draw = QueueDraw.Schedule(now);
                    db.QueueDraws.Add(draw);
                    await db.SaveChangesAsync(ct);   // its id is the new round
                    room.Schedule(draw, opensAt, now);
                }
            }

            if (command.MaxActiveTokens is { } cap)
            {
                room.SetCap(cap);
            }

            if (command.Paused is { } paused)
            {
                room.SetPaused(paused);
            }

            await db.SaveChangesAsync(ct);
            return 0;
        }, cancellationToken);

        logger.LogInformation(
            "Operator {UserId} changed the waiting room: cap {Cap}, paused {Paused}, opensAt {OpensAt}",
            caller.RequireId(), command.MaxActiveTokens, command.Paused,
            command.OpensAtGiven ? command.OpensAt?.ToString("O") ?? "cleared" : "unchanged");
        await queue.AdmitAsync(cancellationToken, readLine: true);   // reads the line once, after the pass
        return WaitingRoomDto.From(line.Latest!, queue.Now);
    }
}
