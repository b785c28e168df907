package dev.ledgerflow.gateway.page;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.delivery.testing.WebhookReceiver;
import dev.ledgerflow.delivery.testing.WebhookReceiver.Answer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

/** An operator on the console, in a real headless Chromium. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestPropertySource(properties = {
    "ledger.webhooks.allow-private-destinations=true",
    "ledger.webhooks.retry-schedule=0s,150ms",
    "ledger.webhooks.request-timeout=2s",
    "ledger.webhooks.poll-interval=100ms"
})
class ConsoleBrowserTest extends ApiTestBase {

    @LocalServerPort
    int port;

    Browser browser;
    WebhookReceiver receiver;

    @BeforeAll
    void start() {
        if (Browser.installed()) {
            browser = Browser.start();
            receiver = WebhookReceiver.start();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void needsBrowser() {
        Browser.assumeInstalled();
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    @Test
    void an_operator_retries_a_dead_delivery() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String endpoint = (String) merchant.created("/v1/webhook-endpoints",
                "{\"url\":\"" + receiver.url("/hook") + "\",\"events\":[\"account.created\"]}").get("id");
        receiver.answer(request -> Answer.status(503));
        merchant.openAccount("EUR", 0);

        browser.openSignedOut("http://localhost:" + port + "/console/");
        browser.type("#admin-key", ApiTest.ADMIN_KEY);
        browser.click("#login-form button[type=submit]");
        browser.find("#projections-table tbody tr");
        browser.screenshot("console-projections");

        browser.open("http://localhost:" + port + "/console/#webhooks");
        String row = "#queue-table tr[data-id='" + endpoint + "']";
        browser.waitForText(row + " td.dead", "1");
        browser.click(row + " button");
        browser.waitForText("#deliveries-table tbody", "dead");
        browser.click("#deliveries-table tbody tr button.secondary");
        browser.waitForText("#attempts", "503");
        browser.screenshot("console-webhooks");

        receiver.answer(request -> Answer.ok());
        browser.click("#deliveries-table tbody tr button.retry");
        browser.waitForText("#problem", "queued again");
        browser.waitForText(row + " td.dead", "0");
        browser.find("#delivery-status");
        new org.openqa.selenium.support.ui.Select(browser.find("#delivery-status")).selectByVisibleText("succeeded");
        browser.waitForText("#deliveries-table tbody", "succeeded");
    }

    @Test
    void an_operator_tails_the_event_log_and_opens_a_streams_history() {
        browser.openSignedOut("http://localhost:" + port + "/console/");
        browser.type("#admin-key", ApiTest.ADMIN_KEY);
        browser.click("#login-form button[type=submit]");
        browser.open("http://localhost:" + port + "/console/#events");
        browser.waitForText("#tail-state", "Live");
        ApiClient merchant = ApiClient.newMerchant(http);
        String account = merchant.openAccount("INR", 0);
        merchant.deposit(account, 5000);
        browser.waitForText("#tail", account);
        browser.waitForText("#tail", "deposit.posted");
        // The deposit's line links its stream: open that stream's history.
        browser.until(d -> d.findElements(org.openqa.selenium.By.cssSelector("#tail a")).stream()
                .filter(link -> link.getText().startsWith("dep_")).findFirst()
                .map(link -> {
                    link.click();
                    return true;
                }).orElse(null));
        browser.waitForText("#history", "deposit.posted");
        browser.screenshot("console-events");

        browser.open("http://localhost:" + port + "/console/#invariants");
        browser.waitForText("#invariants-at", "last run");
        browser.waitForText("#invariants-result", "All invariants hold");
        browser.screenshot("console-invariants");

        // Throughput from /actuator/prometheus: two samples make a rate.
        merchant.created("/v1/payments", "{\"amount\":1000,\"currency\":\"INR\",\"source\":{\"type\":\"upi\",\"vpa\":\"success@upi\"}}");
        browser.open("http://localhost:" + port + "/console/#throughput");
        browser.waitForText("#throughput-now", "Payments/s");
        browser.until(d -> browser.find("#throughput-now").getText().matches("(?s).*Payments/s\\s*\\d+\\.\\d.*") ? true : null);
        browser.find("#throughput-chart .uplot");
        browser.screenshot("console-throughput");
    }
}
