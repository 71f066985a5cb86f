using System.Globalization;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Deque.AxeCore.Commons;
using Newtonsoft.Json.Linq;

namespace Concert.WebApi.BrowserTests.Infrastructure;

/// <summary>
/// Debian's headless Chromium driven by Debian's chromedriver, started the way this machine needs (no sandbox as
/// root; no background networking, which the closed network refuses), with a fresh profile per browser. A missing
/// Chromium fails the test: it never skips.
/// </summary>
public sealed class Browser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string ChromeDriverPath = "/usr/bin/chromedriver";

    // Generous: the whole suite runs beside this on two cores.
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(60);

    private static readonly Lazy<string> AxeSource = new(() => new BundledAxeScriptProvider().GetScript());

    private readonly string _profile;
    private readonly string _artifacts;
    private int _shots;

    private Browser(ChromeDriver driver, string profile, string artifacts)
    {
        Driver = driver;
        _profile = profile;
        _artifacts = artifacts;
    }

    public ChromeDriver Driver { get; }

    public static Browser Start(string artifactsFolder)
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install -y chromium chromium-driver (scripts/test.sh does).");
        Assert.True(File.Exists(ChromeDriverPath), $"{ChromeDriverPath} is missing: apt-get install -y chromium-driver.");

        var profile = Directory.CreateTempSubdirectory("concert-chromium-").FullName;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
            $"--user-data-dir={profile}");

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriverPath)!, Path.GetFileName(ChromeDriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));

        var artifacts = Path.Combine(Repository.Root, "artifacts", "browser", artifactsFolder);
        if (Directory.Exists(artifacts))
        {
            Directory.Delete(artifacts, recursive: true);
        }

        Directory.CreateDirectory(artifacts);
        return new Browser(driver, profile, artifacts);
    }

    public void Open(Uri url) => Driver.Navigate().GoToUrl(url);

    public IWebElement Find(string css) => Driver.FindElement(By.CssSelector(css));

    public string Text(string css) => Find(css).Text;

    public void Type(string css, string text)
    {
        var input = Find(css);
        input.Clear();
        input.SendKeys(text);
    }

    public void Click(string css) => Find(css).Click();

    /// <summary>Waits for a condition; on a timeout fails with what the page showed, and a screenshot of it.</summary>
    public T WaitFor<T>(string what, Func<IWebDriver, T?> condition, TimeSpan? timeout = null)
    {
        var wait = new WebDriverWait(Driver, timeout ?? DefaultWait) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(condition)!;
        }
        catch (WebDriverTimeoutException)
        {
            var shot = Screenshot($"timeout-{Slug(what)}");
            Assert.Fail($"Timed out waiting for {what}. The page's error: '{TextOrNothing("#error")}'; queue: '{TextOrNothing("#queue-live")}'; notice: '{TextOrNothing("#notice")}'. Screenshot: {shot}");
            throw;
        }
    }

    public IWebElement WaitVisible(string css, TimeSpan? timeout = null) =>
        WaitFor($"{css} to show", d => d.FindElement(By.CssSelector(css)) is { Displayed: true } e ? e : null, timeout);

    public void WaitText(string css, string contains, TimeSpan? timeout = null) =>
        WaitFor($"{css} to say '{contains}'", d => d.FindElement(By.CssSelector(css)).Text.Contains(contains, StringComparison.Ordinal), timeout);

    /// <summary>A PNG of the whole page (not just the window) under artifacts/browser/, numbered in the order taken.</summary>
    public string Screenshot(string name)
    {
        _shots++;
        var path = Path.Combine(_artifacts, string.Create(CultureInfo.InvariantCulture, $"{_shots:00}-{name}.png"));
        var window = Driver.Manage().Window;
        var size = window.Size;
        var height = Convert.ToInt32(Driver.ExecuteScript("return document.documentElement.scrollHeight;"), CultureInfo.InvariantCulture);
        window.Size = new System.Drawing.Size(size.Width, Math.Max(size.Height, height + (size.Height - ViewportHeight())));
        try
        {
            Driver.GetScreenshot().SaveAsFile(path);
        }
        finally
        {
            window.Size = size;
        }

        return path;
    }

    private int ViewportHeight() =>
        Convert.ToInt32(Driver.ExecuteScript("return window.innerHeight;"), CultureInfo.InvariantCulture);

    /// <summary>Runs axe-core on the page as it is now, writes its findings beside the screenshots, and returns the
    /// serious and critical ones.</summary>
    public IReadOnlyList<string> AccessibilityProblems(string name)
    {
        // axe-core from Deque's package, run through Selenium 4 directly (Selenium.Axe binds to Selenium 3).
        Driver.ExecuteScript(AxeSource.Value);
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(60);
        var json = (string?)Driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(JSON.stringify(r)), e => done(JSON.stringify({ error: String(e) })));
            """);
        var raw = JObject.Parse(json ?? "{\"error\": \"no answer\"}");
        Assert.False(raw.ContainsKey("error"), $"axe-core failed: {raw["error"]}");
        var result = new AxeResult(raw);

        var lines = result.Violations
            .Select(v => $"{v.Impact}: {v.Id} — {v.Help} ({v.Nodes.Length} element(s): {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))})")
            .ToList();
        File.WriteAllLines(Path.Combine(_artifacts, $"axe-{name}.txt"),
            lines.Count == 0 ? [$"axe-core {result.TestEngine?.Version}: no violations ({result.Passes.Length} rules passed)"] : lines);
        return result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{name}: {v.Impact}: {v.Id} — {v.Help}: {string.Join(" | ", v.Nodes.Select(n => n.Html))}")
            .ToList();
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be letting go of its profile; it is in the temp folder.
        }
    }

    private string TextOrNothing(string css)
    {
        try
        {
            return Driver.FindElement(By.CssSelector(css)).Text;
        }
        catch (WebDriverException)
        {
            return "";
        }
    }

    private static string Slug(string text) =>
        new(text.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').Take(40).ToArray());
}
