package dev.ledgerflow.projections.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Where webhooks may go: the URL forms accepted, and the addresses refused unless private destinations are allowed. */
class DestinationGuardTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @ParameterizedTest
    @ValueSource(strings = {"https://hooks.example.com/ledger", "http://hooks.example.com:8080/a?b=c", "HTTPS://EXAMPLE.COM"})
    void http_and_https_urls_with_a_host_are_well_formed(String url) {
        assertThat(DestinationGuard.parse(url).getHost()).isNotBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "https://", "/relative/path",
            "https://user:pass@example.com/hook", "https://example.com/hook#frag", "http://exa mple.com/", "gopher://x:70/"})
    void other_forms_are_refused(String url) {
        assertThatThrownBy(() -> DestinationGuard.parse(url)).isInstanceOf(DestinationGuard.Refused.class);
    }

    @Test
    void an_overlong_url_is_refused() {
        assertThatThrownBy(() -> DestinationGuard.parse("https://example.com/" + "a".repeat(2100)))
                .isInstanceOf(DestinationGuard.Refused.class).hasMessageContaining("2048");
    }

    @ParameterizedTest(name = "{0} is not public")
    @ValueSource(strings = {"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
            "169.254.169.254", "100.64.0.1", "0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "240.0.0.1", "198.18.0.1",
            "192.0.0.8", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe", "::127.0.0.1"})
    void private_loopback_link_local_multicast_and_unspecified_addresses_are_refused(String address) throws Exception {
        assertThat(DestinationGuard.isPublic(InetAddress.getByName(address))).isFalse();
    }

    @ParameterizedTest(name = "{0} is public")
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "203.0.113.10", "2001:4860:4860::8888",
            "64:ff9b::808:808"})
    void public_addresses_pass(String address) throws Exception {
        assertThat(DestinationGuard.isPublic(InetAddress.getByName(address))).isTrue();
    }

    @Test
    void the_guard_refuses_a_loopback_destination_by_name_and_by_address() {
        var guard = new DestinationGuard(false);

        assertThatThrownBy(() -> guard.check(URI.create("http://localhost:8080/hook")).block(WAIT))
                .isInstanceOf(DestinationGuard.Refused.class).hasMessageContaining("127.0.0.1");
        assertThatThrownBy(() -> guard.check(URI.create("http://[::1]:8080/hook")).block(WAIT))
                .isInstanceOf(DestinationGuard.Refused.class);
        assertThatThrownBy(() -> guard.check(URI.create("http://169.254.169.254/latest/meta-data")).block(WAIT))
                .isInstanceOf(DestinationGuard.Refused.class);
    }

    @Test
    void the_guard_lets_a_public_address_through_without_sending_anything() {
        new DestinationGuard(false).check(URI.create("https://203.0.113.10/hook")).block(WAIT);
    }

    @Test
    void allowing_private_destinations_lets_loopback_through_for_development() {
        new DestinationGuard(true).check(URI.create("http://127.0.0.1:9/hook")).block(WAIT);
    }
}
