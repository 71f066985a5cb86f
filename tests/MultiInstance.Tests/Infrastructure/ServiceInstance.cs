using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>
/// One real instance of the service: <c>dotnet Concert.WebApi.dll --urls http://127.0.0.1:port</c> in an OS
/// process of its own, configured through environment variables only. Its console output is kept (the last
/// lines) for failure messages. Disposing kills it, whatever state the test left it in.
/// </summary>
public sealed partial class ServiceInstance : IAsyncDisposable
{
    private const int KeptLines = 200;

    /// <summary>Every instance still running, killed when the test process exits however it exits (short of
    /// being killed itself), so no service outlives its test run.</summary>
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    static ServiceInstance() =>
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Running.Values)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }
        };

    private ServiceInstance(string name, int port, Process process)
    {
        Name = name;
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(20),
        };
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Error-level log lines (Serilog's "ERR"), by their first line, with how often each was logged.</summary>
    public ConcurrentDictionary<string, int> ErrorLines { get; } = new();

    public static ServiceInstance Start(string name, IReadOnlyDictionary<string, string> environment)
    {
        var dll = Repository.ServiceDll;
        var port = FreePort();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            // The content root is the working directory: run where appsettings.json was built to.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var instance = new ServiceInstance(name, port, process);
        process.OutputDataReceived += (_, e) => instance.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => instance.Keep(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{name}: the process did not start.");
        }

        Running[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return instance;
    }

    /// <summary>Polls <c>/health/ready</c> until it answers 200; fails early when the process dies.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{Name} exited with code {_process.ExitCode} before it was ready.\n{Output()}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Busy starting.
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} was not ready within {timeout}.\n{Output()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL, the whole tree: no shutdown hook, no graceful drain; open transactions die with it.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit(10_000);
        Running.TryRemove(_process.Id, out _);
    }

    public string Output() => $"--- {Name} (pid {_process.Id}) output, last lines ---\n" + string.Join('\n', _output);

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        Client.Dispose();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (line.Length > 15 && line.AsSpan(0, 15).Contains(" ERR]", StringComparison.Ordinal))
        {
            // "[HH:mm:ss ERR] message {properties}": counted by message, ids, timings and properties dropped.
            var message = line[(line.IndexOf(']', StringComparison.Ordinal) + 1)..];
            var properties = message.IndexOf(" {\"", StringComparison.Ordinal);
            message = Numbers().Replace(properties < 0 ? message : message[..properties], "#").Trim();
            ErrorLines.AddOrUpdate(message.Length > 140 ? message[..140] : message, 1, (_, n) => n + 1);
        }

        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>Ids in paths, durations, timings: what differs between otherwise identical log lines.</summary>
    [GeneratedRegex(@"(?<=/)\d+|\d+\.\d+|\d+(?=ms)")]
    private static partial Regex Numbers();

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
