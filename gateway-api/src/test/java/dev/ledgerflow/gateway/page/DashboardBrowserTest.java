package dev.ledgerflow.gateway.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/** A merchant on the dashboard, in a real headless Chromium. */
class DashboardBrowserTest extends BrowserTestBase {

    static final String CARD = "{\"type\":\"card\",\"number\":\"4242424242424242\",\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}";

    String payment(ApiClient merchant, long amount) {
        String id = (String) merchant.created("/v1/payments",
                "{\"amount\":" + amount + ",\"currency\":\"INR\",\"description\":\"Order\",\"source\":" + CARD + "}").get("id");
        await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(merchant.read("/v1/payments/" + id).get("status")));
        return id;
    }

    void signIn(ApiClient merchant) {
        browser.openSignedOut(base() + "/dashboard/");
        browser.type("#merchant-key", merchant.key());
        browser.click("#login-form button[type=submit]");
    }

    String row(String paymentId) {
        return "#payments-table tr[data-id='" + paymentId + "']";
    }

    @Test
    void a_merchant_refunds_part_of_a_payment_and_sees_it_in_the_table_live() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String paid = payment(merchant, 250000);
        signIn(merchant);
        browser.waitForText(row(paid) + " td.status", "succeeded");
        browser.waitForText("#live-state", "live");

        // A payment made elsewhere appears on its own, and follows its status live.
        String live = (String) merchant.created("/v1/payments",
                "{\"amount\":1200,\"currency\":\"INR\",\"source\":" + CARD + "}").get("id");
        browser.waitForText(row(live) + " td.status", "succeeded");

        browser.click(row(paid));
        browser.find("#refund-amount").clear();
        browser.type("#refund-amount", "400.00");
        browser.click("#refund-button");
        browser.click("dialog[open] button[value=ok]");

        browser.waitForText(row(paid) + " td.refunded", "400.00");
        browser.waitForText("#detail-refunded", "400.00");
        assertThat(merchant.read("/v1/payments/" + paid).get("amount_refunded")).isEqualTo(40000);
        browser.screenshot("dashboard-payments");

        // A refund above what is left is refused with the service's problem, shown as a message.
        browser.find("#refund-amount").clear();
        browser.type("#refund-amount", "2100.01");
        browser.click("#refund-button");
        browser.click("dialog[open] button[value=ok]");
        browser.waitForText("#detail-problem", "refund");
    }

    @Test
    void a_merchant_creates_an_api_key_sees_it_once_and_revokes_it() {
        ApiClient merchant = ApiClient.newMerchant(http);
        signIn(merchant);
        browser.waitForText("#live-state", "live");
        browser.open(base() + "/dashboard/#keys");
        browser.click("#new-key");
        String secret = browser.find("#key-secret .secret").getText();
        assertThat(secret).startsWith("sk_");
        http.get().uri("/v1/balance").header("Authorization", "Bearer " + secret).exchange().expectStatus().isOk();
        browser.until(d -> d.findElements(By.cssSelector("#keys-table tbody tr")).size() == 2 ? true : null);
        browser.screenshot("dashboard-api-keys");

        browser.click("#keys-table tbody tr:first-child button.danger");
        browser.click("dialog[open] button[value=ok]");
        browser.waitForText("#keys-table tbody tr:first-child", "revoked");
        http.get().uri("/v1/balance").header("Authorization", "Bearer " + secret).exchange().expectStatus().isUnauthorized();

        // At phone width the page still works: the sections stack and tables scroll sideways.
        browser.phoneWidth();
        browser.open(base() + "/dashboard/#payments");
        browser.find("#payments-filter");
        browser.screenshot("dashboard-phone");
        browser.desktopWidth();
    }

    @Test
    void a_merchant_sees_balances_with_their_history_and_the_volume_report() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String account = merchant.openAccount("INR", 0);
        merchant.deposit(account, 500000);
        String other = merchant.openAccount("INR", 0);
        merchant.created("/v1/transfers", "{\"from_account\":\"" + account + "\",\"to_account\":\"" + other
                + "\",\"amount\":120000,\"currency\":\"INR\"}");
        payment(merchant, 99900);
        await().atMost(Duration.ofSeconds(30)).until(() -> merchant.available(account) == 380000);
        signIn(merchant);
        browser.waitForText("#live-state", "live");

        browser.open(base() + "/dashboard/#accounts");
        browser.waitForText("#accounts-table tbody", account);
        browser.waitForText("#accounts-table tbody", "3,800.00");
        browser.click("#accounts-table tbody tr:first-child");
        browser.waitForText("#entries-table tbody", "transfer");
        browser.find("#balance-chart .uplot");
        browser.screenshot("dashboard-accounts");

        browser.open(base() + "/dashboard/#reports");
        browser.waitForText("#volume-table tbody", "999.00");
        browser.find("#volume-chart .uplot");
        browser.screenshot("dashboard-reports");
    }
}
