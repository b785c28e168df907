package dev.ledgerflow.gateway.page;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiTestBase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/** The pages and their files are served from the jar, without a key, with a strict Content-Security-Policy. */
class PagesApiTest extends ApiTestBase {

    @ParameterizedTest
    @ValueSource(strings = {"/console/", "/dashboard/", "/checkout/cs_anything"})
    void each_page_is_html_with_a_strict_content_security_policy(String path) {
        http.get().uri(path).exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectHeader().value("Content-Security-Policy", csp -> assertThat(csp)
                        .contains("script-src 'self'").contains("frame-ancestors 'none'"))
                .expectHeader().valueEquals("Referrer-Policy", "no-referrer")
                .expectBody(String.class).value(html -> assertThat(html).startsWith("<!doctype html>"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/assets/ledgerflow.js", "/console/console.js", "/dashboard/dashboard.js", "/checkout/checkout.js",
        "/assets/ledgerflow.css", "/webjars/uplot/1.6.30/dist/uPlot.iife.min.js"})
    void their_files_are_static_resources(String path) {
        http.get().uri(path).exchange().expectStatus().isOk();
    }

    @Test
    void the_pages_without_a_trailing_slash_redirect_and_other_checkout_paths_are_not_pages() {
        http.get().uri("/console").exchange().expectStatus().isPermanentRedirect().expectHeader().location("/console/");
        http.get().uri("/dashboard").exchange().expectStatus().isPermanentRedirect().expectHeader().location("/dashboard/");
        http.get().uri("/checkout/nothing").exchange().expectStatus().isNotFound();
    }
}
