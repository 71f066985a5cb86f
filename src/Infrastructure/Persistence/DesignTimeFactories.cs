using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Concert.Infrastructure.Persistence;

// `dotnet ef` builds each provider's context with these; the connection strings are never opened.

public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteConcertDbContext>
{
    public SqliteConcertDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteConcertDbContext>().UseSqlite("Data Source=design.db").Options);
}

public sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerConcertDbContext>
{
    public SqlServerConcertDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlServerConcertDbContext>()
            .UseSqlServer("Server=design;Database=Concert;Trusted_Connection=True;TrustServerCertificate=True").Options);
}

public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresConcertDbContext>
{
    public PostgresConcertDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresConcertDbContext>()
            .UseNpgsql("Host=design;Database=concert;Username=design").Options);
}
