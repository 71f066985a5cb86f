using System.Globalization;
using System.Net;

namespace Concert.WebApi.FunctionalTests.Operations;

/// <summary>One answer of <c>GET /metrics</c>, read the way Prometheus reads the text format.</summary>
public sealed class Scrape(string text)
{
    public string Text { get; } = text;

    public static async Task<Scrape> TakeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /metrics: {(int)response.StatusCode} {text}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        return new Scrape(text);
    }

    /// <summary>The sum of every series of <paramref name="name"/> carrying all of <paramref name="labels"/>; 0 when
    /// there is none (a counter never added to is not exported).</summary>
    public double Value(string name, params (string Name, string Value)[] labels)
    {
        double sum = 0;
        foreach (var line in Text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal)
                || line.Length == name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }

            var labelPart = line[name.Length] == '{' ? line[(name.Length + 1)..line.IndexOf('}', StringComparison.Ordinal)] : "";
            if (!labels.All(l => labelPart.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                continue;
            }

            var rest = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ');
            sum += double.Parse(rest[0], CultureInfo.InvariantCulture);
        }

        return sum;
    }
}
