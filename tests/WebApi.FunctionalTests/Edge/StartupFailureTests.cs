using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>
/// The real service, started as a process of its own on a SQLite file it cannot use, exits with status 1 and writes
/// one log line naming the file and the reason — no stack trace.
/// </summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "concert-tests", $"startup-{Guid.NewGuid():N}");

    public StartupFailureTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public async Task A_missing_folder_exits_1_with_one_line()
    {
        var path = Path.Combine(_folder, "no-such-folder", "concert.db");

        await AssertExitsWithOneLineAsync(path, "folder does not exist");
    }

    [Fact]
    public async Task A_corrupt_file_exits_1_with_one_line()
    {
        var path = Path.Combine(_folder, "corrupt.db");
        var garbage = new byte[16 * 1024];
        new Random(7).NextBytes(garbage);
        await File.WriteAllBytesAsync(path, garbage);

        await AssertExitsWithOneLineAsync(path, "not a SQLite database");
    }

    [Fact]
    public async Task A_read_only_file_exits_1_with_one_line()
    {
        var path = Path.Combine(_folder, "read-only.db");
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE t (x INTEGER);";
            await create.ExecuteNonQueryAsync();
        }

        using var readOnly = ReadOnlyFile.Make(path);
        await AssertExitsWithOneLineAsync(path, "read-only");
    }

    [Fact]
    public async Task Outside_development_a_missing_signing_key_exits_1_with_one_clear_line()
    {
        var (exitCode, lines) = await RunServiceAsync(Path.Combine(_folder, "no-key.db"));

        var output = string.Join('\n', lines);
        Assert.True(exitCode == 1, $"exit code {exitCode}, output:\n{output}");
        var line = Assert.Single(lines, l => l.Contains("Cannot start", StringComparison.Ordinal));
        Assert.Contains("Auth:SigningKey is not set", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private static async Task AssertExitsWithOneLineAsync(string path, string reason)
    {
        var (exitCode, lines) = await RunServiceAsync(path);

        var output = string.Join('\n', lines);
        Assert.True(exitCode == 1, $"exit code {exitCode}, output:\n{output}");
        var line = Assert.Single(lines);
        Assert.Contains(path, line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
    }

    /// <summary>Runs the built service (Concert.WebApi.dll beside this test assembly) until it exits.</summary>
    private static async Task<(int ExitCode, List<string> Lines)> RunServiceAsync(string sqlitePath)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Concert.WebApi.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["Database__Provider"] = "Sqlite";
        start.Environment["Database__SqlitePath"] = sqlitePath;
        start.Environment["Workers__Enabled"] = "false";
        start.Environment["Seed__Demo"] = "false";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var lines = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(lines, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(lines, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The service kept running on a database it cannot use:\n{string.Join('\n', lines)}");
        }

        process.WaitForExit();   // drains the redirected output
        return (process.ExitCode, lines.ToList());
    }

    private static void Keep(ConcurrentQueue<string> lines, string? line)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            lines.Enqueue(line);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the temp folder is the fallback.
        }
    }
}
