package dev.ledgerflow.projections.webhook;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Decides where webhooks may be sent: {@code http} or {@code https} URLs without credentials, and,
 * unless private destinations are allowed, only hosts whose every address is public. A merchant
 * could otherwise point an endpoint at the service's own network (cloud metadata at 169.254.169.254,
 * databases on 10.x, admin ports on localhost) and have the service call it: server-side request
 * forgery. The check runs at registration and again before every attempt, since DNS can change.
 *
 * <p>The check resolves the host itself, and the HTTP client resolves it again when it connects: a
 * name that answers differently within that instant (DNS rebinding) is not caught here. Where that
 * matters, send webhooks through an egress proxy that filters addresses at connect time.
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
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new Refused("url must name a host.");
        }
        if (uri.getRawUserInfo() != null) {
            throw new Refused("url must not carry credentials; authenticate webhooks by their signature.");
        }
        if (uri.getRawFragment() != null) {
            throw new Refused("url must not have a fragment.");
        }
        return uri;
    }

    /**
     * Completes when the URL's host may be called; errors with {@link Refused} when it resolves to a
     * non-public address (unless allowed) or does not resolve. Resolution blocks, so it runs on the
     * bounded elastic scheduler.
     */
    public Mono<Void> check(URI uri) {
        if (allowPrivate) {
            return Mono.empty();
        }
        String host = uri.getHost();
        return Mono.fromCallable(() -> resolve(host))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(addresses -> {
                    for (InetAddress address : addresses) {
                        if (!isPublic(address)) {
                            return Mono.error(new Refused("url resolves to a private, loopback or link-local address ("
                                    + address.getHostAddress() + "); webhooks are only sent to public addresses."));
                        }
                    }
                    return Mono.<Void>empty();
                });
    }

    private static InetAddress[] resolve(String host) {
        // URI keeps the brackets of an IPv6 literal.
        String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            return InetAddress.getAllByName(name);
        } catch (UnknownHostException e) {
            throw new Refused("url's host " + host + " does not resolve.");
        }
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
