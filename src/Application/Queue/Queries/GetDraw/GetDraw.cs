using System.Globalization;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using FluentValidation;
using Mediator;

namespace Concert.Application.Queue.Queries.GetDraw;

/// <summary>The current opening's draw (the pending one, else the last held): the commitment, and once drawn the
/// seed and a page of the scores in admission order. <see cref="Offset"/> and <see cref="Limit"/> arrive as the
/// query string gave them, so that a bad value is a 400 with a clear message.</summary>
public sealed record GetDrawQuery(string? Offset, string? Limit) : IQuery<DrawDto>
{
    public const int MaxLimit = 1000;

    public int OffsetValue => Offset is null ? 0 : int.Parse(Offset, NumberStyles.None, CultureInfo.InvariantCulture);

    public int LimitValue => Limit is null ? MaxLimit : int.Parse(Limit, NumberStyles.None, CultureInfo.InvariantCulture);
}

public sealed class GetDrawQueryValidator : AbstractValidator<GetDrawQuery>
{
    public GetDrawQueryValidator()
    {
        RuleFor(q => q.Offset)
            .Must(o => o is null || int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .WithMessage("offset is a whole number from 0.");
        RuleFor(q => q.Limit)
            .Must(l => l is null || (int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                                     && n is >= 1 and <= GetDrawQuery.MaxLimit))
            .WithMessage($"limit is a whole number from 1 to {GetDrawQuery.MaxLimit}.");
    }
}

public sealed class GetDrawQueryHandler(IConcertDbContext db, WaitingLine line) : IQueryHandler<GetDrawQuery, DrawDto>
{
    public async ValueTask<DrawDto> Handle(GetDrawQuery query, CancellationToken cancellationToken)
    {
        var current = (await line.CurrentAsync(db, cancellationToken)).Draw ?? throw Errors.DrawNotFound();
        if (current.DrawnAt is null)
        {
            return new DrawDto(current.Commitment, null, null, 0, []);
        }

        var draw = await line.DrawnAsync(db, current.Id, cancellationToken) ?? throw Errors.DrawNotFound();
        return new DrawDto(
            draw.Commitment, Domain.Queue.QueueDraw.Hex(draw.Seed), draw.DrawnAt, draw.Total,
            draw.ScoresPage(query.OffsetValue, query.LimitValue));
    }
}
