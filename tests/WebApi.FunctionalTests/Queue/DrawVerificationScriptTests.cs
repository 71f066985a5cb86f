using System.Diagnostics;
using System.Net.Http.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>docs/verify-draw.py, the script fans are pointed to, run against a real draw over HTTP.</summary>
public sealed class DrawVerificationScriptTests
{
    [Fact]
    public async Task The_documented_script_checks_a_real_draw_and_finds_the_fans_place()
    {
        await using var api = await TestApi.StartAsync(o =>
        {
            o.MaxActiveTokens = 1;
            o.Settings["Admin:Email"] = WaitingRoomTests.OperatorEmail;
            o.Settings["Admin:Password"] = WaitingRoomTests.OperatorPassword;
        });
        var ops = await WaitingRoomTests.OperatorAsync(api);
        var schedule = new HttpRequestMessage(HttpMethod.Patch, "/api/admin/waiting-room")
        {
            Content = JsonContent.Create(new { opensAt = api.Clock.GetUtcNow().UtcDateTime.AddMinutes(5) }),
        }.As(ops);
        var commitment = (await (await api.Client.SendAsync(schedule)).JsonAsync()).GetProperty("draw").GetProperty("commitment").GetString()!;
        var tokens = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            tokens.Add((await api.Client.NewUserJoinsAsync()).Status.Token());
        }

        api.Clock.Advance(TimeSpan.FromMinutes(5));
        await api.AdmitAsync();

        var places = new List<int>();
        foreach (var token in tokens)
        {
            var (exit, output) = await RunAsync(api.Client.BaseAddress!.ToString(), token, commitment);
            Assert.True(exit == 0, output);
            var match = System.Text.RegularExpressions.Regex.Match(output, "is number (\\d+) of 5 in the draw");
            Assert.True(match.Success, output);
            places.Add(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal([1, 2, 3, 4, 5], places.Order());
        // The one the script puts first is the one admitted.
        QueueReads.AssertActive(await api.Client.StatusAsync(tokens[places.IndexOf(1)]));
        // A commitment other than the one published before the opening is refused.
        var (refused, said) = await RunAsync(api.Client.BaseAddress!.ToString(), tokens[0], new string('0', 64));
        Assert.NotEqual(0, refused);
        Assert.Contains("seed does not match the commitment", said, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string baseUrl, string token, string commitment)
    {
        var script = Path.Combine(RepositoryRoot(), "docs", "verify-draw.py");
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { script, baseUrl, token, commitment })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Concert.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Concert.sln not found above the test's folder.");
    }
}
