package dev.ledgerflow.delivery.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The JVM's name resolver in the projections tests (JEP 418, registered in
 * {@code META-INF/services}): a name a test scripted with {@link #name(String...)} answers what the
 * script says, a different answer per lookup if asked to, as a rebinding DNS server would; other
 * names under {@link #SUFFIX} do not resolve, and every other name goes to the JDK's built-in
 * resolver, so nothing else resolves differently.
 *
 * <p>The JDK caches a successful lookup for 30 s above any resolver: within that time,
 * {@link InetAddress} answers a repeated lookup of the same name from its cache, without asking here.
 */
public final class ScriptedResolver extends InetAddressResolverProvider {

    /** Every scripted name ends so: a reserved top-level domain (RFC 6761) that real DNS never answers. */
    public static final String SUFFIX = ".rebinding.test";

    private static final Map<String, Script> SCRIPTS = new ConcurrentHashMap<>();

    /**
     * A fresh name whose n-th lookup answers the n-th of {@code answers} (the last one from then
     * on). An answer is one address literal, or several separated by commas.
     */
    public static String name(String... answers) {
        if (answers.length == 0) {
            throw new IllegalArgumentException("a scripted name needs at least one answer");
        }
        List<List<InetAddress>> parsed = new ArrayList<>();
        for (String answer : answers) {
            parsed.add(Arrays.stream(answer.split(",")).map(ScriptedResolver::literal).toList());
        }
        String name = "n" + UUID.randomUUID().toString().replace("-", "") + SUFFIX;
        SCRIPTS.put(name, new Script(List.copyOf(parsed)));
        return name;
    }

    /** How often the JVM asked for {@code name} (lookups its cache answered are not counted). */
    public static int lookups(String name) {
        Script script = SCRIPTS.get(name.toLowerCase(Locale.ROOT));
        return script == null ? 0 : script.lookups.get();
    }

    private static InetAddress literal(String address) {
        String literal = address.strip();
        if (!literal.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
            throw new IllegalArgumentException("a scripted answer is an address literal, not " + address);
        }
        try {
            return InetAddress.getByName(literal); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("a scripted answer is an address literal, not " + address, e);
        }
    }

    private record Script(List<List<InetAddress>> answers, AtomicInteger lookups) {

        Script(List<List<InetAddress>> answers) {
            this(answers, new AtomicInteger());
        }

        Stream<InetAddress> next(String host) throws UnknownHostException {
            List<InetAddress> answer = answers.get(Math.min(lookups.getAndIncrement(), answers.size() - 1));
            List<InetAddress> named = new ArrayList<>();
            for (InetAddress address : answer) {
                named.add(InetAddress.getByAddress(host, address.getAddress()));
            }
            return named.stream();
        }
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                String name = host.toLowerCase(Locale.ROOT);
                Script script = SCRIPTS.get(name);
                if (script != null) {
                    return script.next(host);
                }
                if (name.endsWith(SUFFIX)) {
                    throw new UnknownHostException(host + " (not scripted)");
                }
                return builtin.lookupByName(host, policy);
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                return builtin.lookupByAddress(address);
            }
        };
    }

    @Override
    public String name() {
        return "ledgerflow-scripted-test-names";
    }
}
