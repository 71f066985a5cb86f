using Concert.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.UnitTests.Persistence;

/// <summary>
/// Each provider's checked-in migrations match the model. No server is needed: this is how the SQL Server
/// provider, which cannot run here, is kept honest alongside its generated script.
/// </summary>
public sealed class ModelTests
{
    public static TheoryData<string> Providers => ["Sqlite", "SqlServer", "Postgres"];

    [Theory]
    [MemberData(nameof(Providers))]
    public void Migrations_cover_the_whole_model(string provider)
    {
        using var db = Create(provider);

        Assert.False(db.Database.HasPendingModelChanges(), $"{provider}: run dotnet ef migrations add for this provider");
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    private static ConcertDbContext Create(string provider) => provider switch
    {
        "Sqlite" => new SqliteDesignTimeFactory().CreateDbContext([]),
        "SqlServer" => new SqlServerDesignTimeFactory().CreateDbContext([]),
        _ => new PostgresDesignTimeFactory().CreateDbContext([]),
    };
}
