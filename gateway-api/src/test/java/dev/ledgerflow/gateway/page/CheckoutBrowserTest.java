package dev.ledgerflow.gateway.page;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.pool.ConnectionPool;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** A shop's customer on the hosted checkout page, in a real headless Chromium. */
class CheckoutBrowserTest extends BrowserTestBase {

    @Autowired
    ConnectionPool pool;

    ApiClient merchant;

    @BeforeEach
    void merchant() {
        merchant = ApiClient.newMerchant(http);
        browser.desktopWidth();
    }

    /** A session whose success URL is a page of this service, so the redirect can be seen to arrive. */
    Map<String, Object> session(String methods) {
        return merchant.created("/v1/checkout/sessions", """
                {"amount": 149900, "currency": "INR", "description": "Noise-cancelling headphones",
                 "success_url": "%s/dashboard/?checkout=paid", "cancel_url": "%s/dashboard/?checkout=canceled",
                 "methods": %s}""".formatted(base(), base(), methods));
    }

    void enterCard(String number) {
        browser.type("#card-number", number);
        browser.type("#card-expiry", "1230");
        browser.type("#card-cvc", "123");
    }

    @Test
    void a_customer_pays_by_card_and_is_taken_to_the_shops_success_page() {
        browser.open(base() + session("[\"card\", \"upi\"]").get("url"));
        browser.waitForText("#amount", "1,499.00");
        assertThat(browser.find("#merchant-name").getText()).isEqualTo("Test merchant");
        browser.type("#card-number", "4242424242424241");
        browser.waitForText("#card-number-error", "not valid"); // live Luhn check
        assertThat(browser.find("#card-brand").getText()).isEqualTo("Visa");
        assertThat(browser.find("#card-number").getAttribute("value")).isEqualTo("4242 4242 4242 4241");
        enterCard("4242424242424242");
        browser.until(d -> browser.find("#card-number-error").getText().isEmpty() ? true : null);
        browser.screenshot("checkout-card");

        browser.click("#pay-button");

        browser.until(d -> d.getCurrentUrl().endsWith("/dashboard/?checkout=paid") ? true : null);
    }

    @Test
    void a_declined_card_shows_the_error_and_the_customer_pays_with_another() {
        browser.open(base() + session("[\"card\", \"upi\"]").get("url"));
        enterCard("4000000000000002");
        browser.click("#pay-button");

        String error = browser.waitForText("#form-error", "declined");
        assertThat(error).contains("Try another card");
        browser.screenshot("checkout-declined");

        enterCard("4242424242424242");
        browser.click("#pay-button");
        browser.until(d -> d.getCurrentUrl().endsWith("/dashboard/?checkout=paid") ? true : null);
    }

    @Test
    void a_customer_pays_by_upi_on_a_phone() {
        browser.phoneWidth();
        browser.open(base() + session("[\"card\", \"upi\"]").get("url"));
        browser.click("#method-upi-label");
        browser.type("#upi-vpa", "nobank");
        browser.click("#pay-button");
        browser.waitForText("#upi-vpa-error", "name@bank");
        browser.type("#upi-vpa", "success@upi");
        browser.screenshot("checkout-upi-phone");
        browser.click("#pay-button");
        browser.until(d -> d.getCurrentUrl().endsWith("/dashboard/?checkout=paid") ? true : null);
    }

    @Test
    void an_expired_session_shows_a_clear_page() {
        String id = (String) session("[\"card\"]").get("id");
        Sql.update(pool, "update checkout_sessions set expires_at = now() - interval '1 second' where id = $1",
                s -> s.bind("$1", id)).block();
        browser.open(base() + "/checkout/" + id);
        browser.waitForText("#closed-title", "expired");
        assertThat(browser.find("#closed-link").getAttribute("href")).endsWith("/dashboard/?checkout=canceled");
        browser.screenshot("checkout-expired");
    }

    @Test
    void a_paid_session_shows_a_clear_page_and_an_unknown_one_says_so() {
        Map<String, Object> session = session("[\"upi\"]");
        http.post().uri("/v1/checkout/sessions/" + session.get("id") + "/pay")
                .contentType(org.springframework.http.MediaType.APPLICATION_JSON)
                .bodyValue("{\"source\": {\"type\": \"upi\", \"vpa\": \"success@upi\"}}").exchange().expectStatus().isAccepted();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> "complete".equals(
                merchant.read("/v1/checkout/sessions/" + session.get("id")).get("status")));
        browser.open(base() + session.get("url"));
        browser.waitForText("#closed-title", "paid");

        browser.open(base() + "/checkout/cs_no_such_session");
        browser.waitForText("#closed-title", "not found");
    }
}
