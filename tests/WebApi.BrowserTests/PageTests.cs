using Concert.WebApi.BrowserTests.Infrastructure;
using OpenQA.Selenium;

namespace Concert.WebApi.BrowserTests;

/// <summary>The reference page at `/` in a real Chromium against a real service instance. One class, so its tests
/// run one at a time (one browser and one service at once on a two-core machine).</summary>
public sealed class PageTests
{
    [Fact]
    public async Task The_page_opens_on_a_desktop_and_a_phone_with_no_serious_accessibility_findings()
    {
        await using var service = LiveService.Start(maxActiveTokens: 100);
        using var browser = Browser.Start("opening");

        browser.Open(service.BaseAddress);
        browser.WaitVisible("#sign-up");
        browser.WaitText("#notice", "Sign up or sign in"); // the ES modules ran
        browser.Screenshot("desktop");
        Assert.Empty(browser.AccessibilityProblems("desktop"));

        browser.Driver.Manage().Window.Size = new System.Drawing.Size(390, 844);
        browser.WaitVisible("#sign-in");
        browser.Screenshot("phone");
        Assert.Empty(browser.AccessibilityProblems("phone"));
    }

    [Fact]
    public async Task The_pages_event_stream_parser_reads_events_split_at_any_byte()
    {
        await using var service = LiveService.Start(maxActiveTokens: 100);
        using var browser = Browser.Start("sse-parser");
        browser.Open(service.BaseAddress);
        browser.WaitVisible("#sign-up");

        // Comments, CRLF / LF / CR line ends, a multi-line data field, an event with no name, a CR as the very last
        // byte; fed one to three characters at a time, in the browser's own module.
        var result = browser.Driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            import('/js/sse.js').then(({ createParser }) => {
              const got = [];
              const parser = createParser(e => got.push(e));
              const text = ': hi\r\nevent: status\r\ndata: {"position":2}\r\n\r\n: keep-alive\n\n'
                + 'event: status\ndata: {"position":\ndata: 1}\n\ndata: plain\r\revent: status\rdata: {}\r\r';
              for (let i = 0; i < text.length;) { const n = 1 + (i % 3); parser.push(text.slice(i, i + n)); i += n; }
              parser.end();
              done(JSON.stringify(got.map(e => [e.event, e.data])));
            }, e => done('failed: ' + e));
            """);

        Assert.Equal(
            """[["status","{\"position\":2}"],["status","{\"position\":\n1}"],["message","plain"],["status","{}"]]""",
            result);
    }

    [Fact]
    public async Task One_person_signs_up_waits_in_a_full_room_and_buys_a_seat()
    {
        // One active slot: whoever holds it keeps everyone else waiting.
        await using var service = LiveService.Start(maxActiveTokens: 1);
        using var api = service.CreateClient();
        var holder = await ApiUser.SignUpAsync(api, "Holder");
        var ahead = await ApiUser.SignUpAsync(api, "Ahead");
        Assert.Equal("active", await holder.JoinAsync());
        Assert.Equal("waiting", await ahead.JoinAsync());

        using var browser = Browser.Start("journey");
        var problems = new List<string>();
        browser.Open(service.BaseAddress);
        browser.WaitVisible("#sign-up");
        browser.Screenshot("signed-out");

        // Sign up (the page signs in right after).
        var email = $"kim-{Guid.NewGuid():N}@example.com";
        browser.Type("#signup-name", "Kim");
        browser.Type("#signup-email", email);
        browser.Type("#signup-password", "a long enough password");
        browser.Click("#signup-submit");
        browser.WaitText("#who-name", "Kim");
        browser.WaitText("#balance", "0 won");
        browser.Screenshot("signed-in");

        // Top up.
        browser.Type("#topup-amount", "300000");
        browser.Click("#topup-submit");
        browser.WaitText("#balance", "300,000 won");
        browser.WaitVisible("#history tr[data-kind='charge']");
        browser.Screenshot("topped-up");

        // Join while the room is full: two ahead of this page's user (one in, one waiting).
        var page = (IJavaScriptExecutor)browser.Driver;
        page.ExecuteScript("window.__sameDocument = 'yes';");
        browser.Click("#join");
        browser.WaitText("#queue-live", "number 2 in line");
        browser.Screenshot("waiting-2nd");
        problems.AddRange(browser.AccessibilityProblems("waiting"));

        // The slot holder leaves: the one ahead goes in and the page moves up, by itself.
        await holder.LeaveAsync();
        browser.WaitText("#queue-live", "number 1 in line");
        browser.Screenshot("waiting-1st");

        // The one ahead leaves too: it is this user's turn.
        await ahead.LeaveAsync();
        browser.WaitText("#queue-live", "your turn");
        Assert.Equal("yes", page.ExecuteScript("return window.__sameDocument;"));
        browser.WaitVisible("#concerts button");
        browser.Screenshot("admitted");

        // Concert → date → seat map.
        browser.Click("#concerts button");
        browser.WaitVisible("#schedules button").Click();
        browser.WaitVisible("#seats button.seat.available");
        browser.Screenshot("seat-map");
        problems.AddRange(browser.AccessibilityProblems("seat-map"));

        // Hold a seat: it shows in the cart with a countdown, and as yours on the map.
        var seat = browser.Find("#seats button.seat.available");
        var seatId = seat.GetDomAttribute("data-seat-id");
        seat.Click();
        browser.WaitVisible("#cart li");
        browser.WaitText("#cart li", "held for 4:");
        browser.WaitVisible($"#seats button.seat.mine[data-seat-id='{seatId}']");
        browser.Screenshot("held");

        // Pay it in one checkout: confirmed, and the balance and history show the payment.
        browser.Click("#pay");
        browser.WaitText("#payment-result", "Paid");
        browser.WaitVisible("#reservations li[data-status='confirmed']");
        browser.WaitVisible("#history tr[data-kind='payment']");
        Assert.DoesNotContain("300,000 won", browser.Text("#balance"), StringComparison.Ordinal);
        Assert.Equal("", browser.Text("#error"));
        browser.Screenshot("paid");
        problems.AddRange(browser.AccessibilityProblems("paid"));

        Assert.Empty(problems);
    }
}
