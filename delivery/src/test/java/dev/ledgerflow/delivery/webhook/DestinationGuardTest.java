package dev.ledgerflow.delivery.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.delivery.testing.ScriptedResolver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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

    @ParameterizedTest(name = "{0} is refused")
    @ValueSource(strings = {"http://0177.0.0.1/", "http://0x7f.1/", "http://2130706433/", "http://127.1/", "http://0x7f000001/",
            "http://017700000001/", "http://1.2.3.04/", "http://256.1.1.1/", "http://0x7f.0.0.1/", "http://a.0x10/"})
    void a_numeric_host_in_a_form_other_than_four_decimal_numbers_is_refused(String url) {
        // Curl and browsers read 0177.0.0.1 as 127.0.0.1, Java as 177.0.0.1: one reading for the check, another for the call.
        assertThatThrownBy(() -> DestinationGuard.parse(url)).isInstanceOf(DestinationGuard.Refused.class)
                .hasMessageContaining("a.b.c.d");
    }

    @ParameterizedTest(name = "{0} is well formed")
    @ValueSource(strings = {"http://203.0.113.10/", "http://0.0.0.0/", "http://255.255.255.255/", "https://face.be/",
            "https://1password.com/", "https://api.123.example/", "http://[::ffff:7f00:1]/"})
    void four_decimal_numbers_names_with_digits_and_ipv6_literals_keep_their_one_reading(String url) {
        assertThat(DestinationGuard.parse(url).getHost()).isNotBlank();
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

    @Test
    void vetting_pins_the_address_it_checked_under_the_url_host_and_port() {
        String host = ScriptedResolver.name("203.0.113.10,203.0.113.11");

        var destination = new DestinationGuard(false).vet(URI.create("https://" + host + "/hook")).block(WAIT);

        assertThat(destination.url()).isEqualTo(URI.create("https://" + host + "/hook"));
        assertThat(destination.address().isUnresolved()).isFalse();
        assertThat(destination.address().getAddress().getHostAddress()).isEqualTo("203.0.113.10");
        assertThat(destination.address().getHostString()).as("the name TLS and the pool see").isEqualTo(host);
        assertThat(destination.address().getPort()).isEqualTo(443);
        assertThat(destination.secure()).isTrue();
        assertThat(DestinationGuard.Destination.pinned(URI.create("http://" + host + ":8080/"), destination.address().getAddress())
                .address().getPort()).isEqualTo(8080);
        assertThat(DestinationGuard.Destination.pinned(URI.create("http://" + host + "/"), destination.address().getAddress())
                .address().getPort()).isEqualTo(80);
    }

    @Test
    void a_name_that_rebinds_after_the_check_leaves_the_vetted_destination_where_it_was() {
        String host = ScriptedResolver.name("203.0.113.10", "127.0.0.1");

        var destination = new DestinationGuard(false).vet(URI.create("http://" + host + ":8080/hook")).block(WAIT);

        assertThat(ScriptedResolver.lookups(host)).isEqualTo(1);
        assertThat(destination.address()).isEqualTo(new InetSocketAddress("203.0.113.10", 8080));
    }

    @Test
    void one_private_address_among_public_ones_refuses_the_name() {
        String host = ScriptedResolver.name("203.0.113.10,10.0.0.7");

        assertThatThrownBy(() -> new DestinationGuard(false).vet(URI.create("https://" + host + "/hook")).block(WAIT))
                .isInstanceOf(DestinationGuard.Refused.class).hasMessageContaining("10.0.0.7");
    }

    @Test
    void a_name_that_does_not_resolve_is_refused() {
        assertThatThrownBy(() -> new DestinationGuard(true).vet(URI.create("https://unknown" + ScriptedResolver.SUFFIX + "/hook"))
                .block(WAIT)).isInstanceOf(DestinationGuard.Refused.class).hasMessageContaining("does not resolve");
    }

    @Test
    void with_private_destinations_allowed_vetting_still_resolves_and_pins() {
        String host = ScriptedResolver.name("127.0.0.1");

        var destination = new DestinationGuard(true).vet(URI.create("http://" + host + ":9/hook")).block(WAIT);

        assertThat(destination.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(destination.address().getHostString()).isEqualTo(host);
    }

    @Test
    void an_ipv6_literal_is_pinned_to_itself() {
        var destination = new DestinationGuard(true).vet(URI.create("http://[::1]:8080/hook")).block(WAIT);

        assertThat(destination.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(destination.address().getAddress()).isInstanceOf(java.net.Inet6Address.class);
        assertThat(destination.address().getPort()).isEqualTo(8080);
        assertThatThrownBy(() -> new DestinationGuard(false).vet(URI.create("http://[::1]:8080/hook")).block(WAIT))
                .isInstanceOf(DestinationGuard.Refused.class);
    }
}
