using System.Security.Cryptography;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Accounts;
using Concert.Domain.Users;
using Concert.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concert.Infrastructure.Auth;

/// <summary>Settles the signing keys and the operator account at start, after the migrations.</summary>
public static class AuthInitialiser
{
    private const string DevelopmentKeyName = "auth.development-signing-key";

    /// <param name="mayMakeKey">Development only: without <c>Auth:SigningKey</c>, make one and keep it in the database.</param>
    public static async Task InitialiseAuthAsync(this IServiceProvider services, bool mayMakeKey, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var options = sp.GetRequiredService<IOptions<AuthOptions>>().Value;
        var db = sp.GetRequiredService<ConcertDbContext>();
        var now = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthInitialiser));

        byte[] current;
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            current = SigningKeys.Decode(options.SigningKey, "Auth:SigningKey");
        }
        else if (mayMakeKey)
        {
            current = Convert.FromBase64String(await DevelopmentKeyAsync(db, now, cancellationToken));
            logger.LogWarning("Auth:SigningKey is not set: signing with a development key kept in the database");
        }
        else
        {
            throw new StartupException(
                "Auth:SigningKey is not set. Outside Development every instance needs the same base64 key of at least 256 bits " +
                "(for example from `openssl rand -base64 32`), in Auth:SigningKey or the Auth__SigningKey environment variable.");
        }

        var previous = options.PreviousSigningKeys.Select((k, i) => SigningKeys.Decode(k, $"Auth:PreviousSigningKeys:{i}"));
        sp.GetRequiredService<SigningKeys>().Set(current, previous);

        var admin = sp.GetRequiredService<IOptions<AdminOptions>>().Value;
        if (!string.IsNullOrWhiteSpace(admin.Email) && !string.IsNullOrEmpty(admin.Password))
        {
            await EnsureAdminAsync(db, sp.GetRequiredService<IPasswordHasher>(), admin.Email, admin.Password, now, cancellationToken);
            logger.LogInformation("Operator account {Email} is ready", admin.Email);
        }
    }

    private static async Task<string> DevelopmentKeyAsync(ConcertDbContext db, DateTime now, CancellationToken ct)
    {
        if (await db.Set<ServiceSecret>().AsNoTracking().FirstOrDefaultAsync(s => s.Name == DevelopmentKeyName, ct) is { } kept)
        {
            return kept.Value;
        }

        db.Set<ServiceSecret>().Add(new ServiceSecret(DevelopmentKeyName, Convert.ToBase64String(RandomNumberGenerator.GetBytes(SigningKeys.MinKeyBytes)), now));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (db.IsUniqueViolation(e))
        {
            // Another instance starting at the same moment made it first: everyone signs with that one.
        }

        db.ChangeTracker.Clear();
        return (await db.Set<ServiceSecret>().AsNoTracking().SingleAsync(s => s.Name == DevelopmentKeyName, ct)).Value;
    }

    /// <summary>The configured operator exists, is an admin and signs in with the configured password.</summary>
    private static async Task EnsureAdminAsync(
        ConcertDbContext db, IPasswordHasher hasher, string email, string password, DateTime now, CancellationToken ct)
    {
        if (!User.IsValidEmail(email) || !User.IsValidPassword(password))
        {
            throw new StartupException("Admin:Email must be an address and Admin:Password 8–128 characters.");
        }

        for (var attempt = 1; ; attempt++)
        {
            var normalized = User.NormalizeEmail(email);
            var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, ct);
            if (user is not null)
            {
                user.MakeAdmin();
                if (user.PasswordHash is null || hasher.Verify(user.PasswordHash, password) == PasswordCheck.Failed)
                {
                    user.ChangePasswordHash(hasher.Hash(password));
                }

                try
                {
                    await db.SaveChangesAsync(ct);
                    return;
                }
                catch (DbUpdateConcurrencyException) when (attempt < 3)
                {
                    // Another instance starting now made sure of it first; look again.
                    db.ChangeTracker.Clear();
                    continue;
                }
            }

            try
            {
                await ((IConcertDbContext)db).InTransactionAsync(async t =>
                {
                    var created = User.Register("Operator", email, hasher.Hash(password), now, UserRole.Admin);
                    db.Users.Add(created);
                    await db.SaveChangesAsync(t);
                    db.Accounts.Add(Account.Open(created.Id, now));
                    await db.SaveChangesAsync(t);
                    return true;
                }, ct);
                return;
            }
            catch (DbUpdateException e) when (db.IsUniqueViolation(e) && attempt < 3)
            {
                // Another instance created it at the same moment; the next round makes sure of its role and password.
                db.ChangeTracker.Clear();
            }
        }
    }
}

/// <summary>A reason the service cannot start, told in one log line (no stack trace).</summary>
public sealed class StartupException(string message) : Exception(message);
