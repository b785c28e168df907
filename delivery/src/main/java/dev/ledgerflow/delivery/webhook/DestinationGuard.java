package dev.ledgerflow.delivery.webhook;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Decides where webhooks may be sent: {@code http} or {@code https} URLs without credentials, and,
 * unless private destinations are allowed, only hosts whose every address is public. A merchant
 * could otherwise point an endpoint at the service's own network (cloud metadata at 169.254.169.254,
 * databases on 10.x, admin ports on localhost) and have the service call it: server-side request
 * forgery. The check runs at registration and again before every attempt, since DNS can change.
 *
 * <p>Before an attempt, {@link #vet(URI)} resolves the host once, checks every address it answers
 * and hands back the first as a {@link Destination}; {@link WebhookSender} connects to exactly that
 * address and never looks the name up again. A name that answers a public address to the check and
 * a private one a moment later (DNS rebinding) therefore cannot steer a delivery into the service's
 * network. Registration ({@link #check(URI)}) sends nothing, so nothing is pinned there: the check
 * before each attempt is the one that decides where a request goes.
 */
public final class DestinationGuard {

    public static final int URL_LENGTH_MAX = 2048;

    private final boolean allowPrivate;

    public DestinationGuard(boolean allowPrivate) {
        this.allowPrivate = allowPrivate;
    }

    /** A URL that cannot be used as an endpoint, and why. */
    public static final class Refused extends RuntimeException {
        public Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * Where one request goes: its URL, and the resolved address it must connect to, which carries
     * the URL's host as its name (the HTTP client sends that name as TLS SNI and checks the server's
     * certificate against it; the address is only where the packets go).
     */
    public record Destination(URI url, InetSocketAddress address) {

        public Destination {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(address, "address");
            if (address.isUnresolved()) {
                throw new IllegalArgumentException("a destination is pinned to a resolved address, not " + address);
            }
        }

        /** {@code url} pinned to {@code address}, on the URL's port (or its scheme's default). */
        public static Destination pinned(URI url, InetAddress address) {
            String name = bare(url.getHost());
            try {
                // The same bytes under the URL's name: the connection goes to the bytes, TLS checks the name.
                InetAddress named = address instanceof Inet6Address v6 && v6.getScopeId() != 0
                        ? Inet6Address.getByAddress(name, v6.getAddress(), v6.getScopeId())
                        : InetAddress.getByAddress(name, address.getAddress());
                return new Destination(url, new InetSocketAddress(named, port(url)));
            } catch (UnknownHostException e) {
                throw new IllegalStateException("a resolved address has a valid length", e);
            }
        }

        /** Whether the request is sent over TLS. */
        public boolean secure() {
            return "https".equalsIgnoreCase(url.getScheme());
        }

        private static int port(URI url) {
            if (url.getPort() != -1) {
                return url.getPort();
            }
            return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
        }
    }

    public boolean allowsPrivate() {
        return allowPrivate;
    }

    /** The URL parsed, when its form is acceptable; throws {@link Refused} otherwise. Does not resolve. */
    public static URI parse(String url) {
        if (url == null || url.isBlank()) {
            throw new Refused("url is required.");
        }
        if (url.length() > URL_LENGTH_MAX) {
            throw new Refused("url must be at most " + URL_LENGTH_MAX + " characters.");
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new Refused("url is not a valid URL: " + e.getReason() + ".");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new Refused("url must be an http or https URL.");
        }
        if (uri.getHost() == null && uri.getRawAuthority() != null) {
            // Java reads no host in 0x7f.1 or 127.1; say why rather than only that there is none.
            String authority = uri.getRawAuthority();
            String hostAndPort = authority.substring(authority.lastIndexOf('@') + 1);
            requireCanonicalAddress(hostAndPort.replaceFirst(":[0-9]*$", ""));
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new Refused("url must name a host.");
        }
        requireCanonicalAddress(uri.getHost());
        if (uri.getRawUserInfo() != null) {
            throw new Refused("url must not carry credentials; authenticate webhooks by their signature.");
        }
        if (uri.getRawFragment() != null) {
            throw new Refused("url must not have a fragment.");
        }
        return uri;
    }

    /**
     * Refuses a host that URL parsers read as an IPv4 address (its last label is a number) unless it is
     * written as four decimal numbers from 0 to 255 without leading zeros. The other forms are read
     * differently by different parsers: {@code 0177.0.0.1} is 127.0.0.1 (octal) to curl and browsers but
     * 177.0.0.1 to Java; {@code 0x7f.1}, {@code 127.1} and {@code 2130706433} are 127.0.0.1 to a browser
     * and no address at all to Java. A check that reads a host one way while the request goes where
     * another parser reads it is no check.
     */
    static void requireCanonicalAddress(String host) {
        if (host.startsWith("[")) {
            return; // an IPv6 literal: one reading only
        }
        String[] labels = host.split("\\.", -1);
        String last = labels[labels.length - 1];
        boolean endsInNumber = last.matches("[0-9]+") || last.matches("0[xX][0-9a-fA-F]*");
        if (!endsInNumber) {
            return;
        }
        boolean dottedDecimal = labels.length == 4;
        for (String label : labels) {
            dottedDecimal &= label.matches("0|[1-9][0-9]{0,2}") && Integer.parseInt(label) <= 255;
        }
        if (!dottedDecimal) {
            throw new Refused("url's host " + host + " is a numeric address in a form parsers read differently"
                    + " (octal, hexadecimal or shortened); write it as four decimal numbers a.b.c.d, or use a name.");
        }
    }

    /**
     * Completes when the URL's host may be called; errors with {@link Refused} when it resolves to a
     * non-public address (unless allowed) or does not resolve. For registration, where nothing is
     * sent: with private destinations allowed it does not resolve at all.
     */
    public Mono<Void> check(URI uri) {
        return allowPrivate ? Mono.empty() : vet(uri).then();
    }

    /**
     * The destination of one attempt: the host resolved once, every address checked (unless private
     * destinations are allowed), and the first pinned. Errors with {@link Refused} when an address is
     * not public or the host does not resolve. Resolution blocks, so it runs on the bounded elastic
     * scheduler. With private destinations allowed it still resolves and pins, so that every attempt
     * connects the same way.
     */
    public Mono<Destination> vet(URI uri) {
        String host = uri.getHost();
        return Mono.fromCallable(() -> {
                    requireCanonicalAddress(host);
                    return resolve(host);
                })
                .subscribeOn(Schedulers.boundedElastic())
                .map(addresses -> {
                    if (!allowPrivate) {
                        for (InetAddress address : addresses) {
                            if (!isPublic(address)) {
                                throw new Refused("url resolves to a private, loopback or link-local address ("
                                        + address.getHostAddress() + "); webhooks are only sent to public addresses.");
                            }
                        }
                    }
                    return Destination.pinned(uri, addresses[0]);
                });
    }

    private static InetAddress[] resolve(String host) {
        try {
            return InetAddress.getAllByName(bare(host));
        } catch (UnknownHostException e) {
            throw new Refused("url's host " + host + " does not resolve.");
        }
    }

    /** The host without the brackets URI keeps around an IPv6 literal. */
    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** False for every address a request from inside the service's network must not reach. */
    public static boolean isPublic(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            return isPublicIpv4(bytes);
        }
        if ((bytes[0] & 0xFE) == 0xFC) {
            return false; // fc00::/7 unique local
        }
        if (isZero(bytes, 0, 10) && (bytes[10] & 0xFF) == 0xFF && (bytes[11] & 0xFF) == 0xFF) {
            return isPublicIpv4(Arrays.copyOfRange(bytes, 12, 16)); // ::ffff:a.b.c.d
        }
        if (isZero(bytes, 0, 12)) {
            return false; // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
        }
        if ((bytes[0] & 0xFF) == 0x00 && (bytes[1] & 0xFF) == 0x64 && (bytes[2] & 0xFF) == 0xFF
                && (bytes[3] & 0xFF) == 0x9B && isZero(bytes, 4, 12)) {
            return isPublicIpv4(Arrays.copyOfRange(bytes, 12, 16)); // 64:ff9b::/96 NAT64
        }
        return true;
    }

    private static boolean isPublicIpv4(byte[] b) {
        int a0 = b[0] & 0xFF;
        int a1 = b[1] & 0xFF;
        int a2 = b[2] & 0xFF;
        return !(a0 == 0                                   // "this network"
                || a0 == 10                                // private
                || a0 == 127                               // loopback
                || (a0 == 100 && (a1 & 0xC0) == 64)        // 100.64.0.0/10 carrier-grade NAT
                || (a0 == 169 && a1 == 254)                // link-local, cloud metadata
                || (a0 == 172 && (a1 & 0xF0) == 16)        // private
                || (a0 == 192 && a1 == 0 && a2 == 0)       // IETF protocol assignments
                || (a0 == 192 && a1 == 168)                // private
                || (a0 == 198 && (a1 & 0xFE) == 18)        // benchmarking
                || a0 >= 224);                             // multicast, reserved, broadcast
    }

    private static boolean isZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
