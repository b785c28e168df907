package dev.ledgerflow.gateway.page;

import dev.ledgerflow.gateway.ApiTestBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A page test: the service on a random port and one real headless Chromium for the class, closed
 * after it. Without Chromium and its driver installed every test of the class is skipped, not failed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BrowserTestBase extends ApiTestBase {

    @LocalServerPort
    int port;

    Browser browser;

    @BeforeAll
    void startBrowser() {
        if (Browser.installed()) {
            browser = Browser.start();
        }
    }

    @BeforeEach
    void needsBrowser() {
        Browser.assumeInstalled();
    }

    @AfterAll
    void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    /** The service's address, for the browser. */
    String base() {
        return "http://localhost:" + port;
    }
}
