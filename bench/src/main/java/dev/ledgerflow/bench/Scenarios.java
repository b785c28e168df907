package dev.ledgerflow.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import reactor.core.publisher.Flux;

/** The scenarios: each runs its load, records its results, and checks that nothing was lost. */
final class Scenarios {

    private static final Pattern ID = Pattern.compile("\"id\":\"([a-z]+_[0-9A-Z]+)\"");

    private final Http http;
    private final String baseUrl;
    private final Settings settings;
    private final Report report;
    private final Checks checks;
    private final String merchantKey;
    private final boolean createOnly;
    private final List<String> paymentIds = new ArrayList<>();
    private final List<String> accounts = new ArrayList<>();

    record Settings(int connections, Duration duration, double paymentRate, double readRate, int accountsMany, int accountsHot) {}

    Scenarios(String baseUrl, Settings settings, Report report, Checks checks, String merchantKey, boolean createOnly) {
        this.createOnly = createOnly;
        this.http = new Http(baseUrl, settings.connections());
        this.baseUrl = baseUrl;
        this.settings = settings;
        this.report = report;
        this.checks = checks;
        this.merchantKey = merchantKey;
    }

    static String cardPayment(long amount) {
        return "{\"amount\":" + amount + ",\"currency\":\"USD\",\"source\":{\"type\":\"card\",\"number\":\"4242424242424242\","
                + "\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}";
    }

    /**
     * Load (card payments, closed loop) until the service's JIT compiler has settled: rounds of 5 s, at
     * least two, until the compiler worked less than 2 % of a core in the last round or {@code warmUpMax}
     * has passed. A fixed 10 s was not enough: in a 20 s run that followed it, C2 still took about a third
     * of the service's CPU (async-profiler), and the figures measured the compiler more than the service.
     */
    void warmUp(Duration warmUpMax) {
        long started = System.nanoTime();
        double compiledMs = jitMillis();
        double firstMs = compiledMs;
        int rounds = 0;
        while (true) {
            Load.closedLoop("warm-up", settings.connections(), Duration.ofSeconds(5), Long.MAX_VALUE,
                    i -> http.post("/v1/payments", merchantKey, cardPayment(100), null).map(Http.Response::status));
            rounds++;
            double now = jitMillis();
            double roundMs = now - compiledMs;
            compiledMs = now;
            Duration spent = Duration.ofNanos(System.nanoTime() - started);
            boolean settled = rounds >= 2 && roundMs < 0.02 * 5_000;
            if (settled || spent.compareTo(warmUpMax) >= 0) {
                String line = String.format("warm-up %d s, the service's JIT compiled for %.1f s in it, %.0f ms in its last 5 s%s",
                        spent.toSeconds(), (compiledMs - firstMs) / 1000, roundMs, settled ? "" : " (not settled: --warm-up-max reached)");
                System.out.println("  " + line);
                report.environment("warm-up", line);
                return;
            }
        }
    }

    /** Milliseconds the service's JIT compiler has worked since it started (Micrometer's jvm.compilation.time). */
    private double jitMillis() {
        return Prometheus.sum(List.of(baseUrl), "jvm_compilation_time_ms_total");
    }

    /** 1. Create card payments (automatic capture) with unique idempotency keys: closed loop, then a fixed rate. */
    void payments() throws Exception {
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        String run = Long.toHexString(System.nanoTime());
        Load.Operation create = i -> http.post("/v1/payments", merchantKey, cardPayment(100 + i % 900), "bench-" + run + "-" + i)
                .map(response -> {
                    if (response.ok()) {
                        acknowledged.add(id(response.body()));
                    }
                    return response.status();
                });
        report.add(Load.closedLoop("create payments", settings.connections(), settings.duration(), Long.MAX_VALUE, create));
        String run2 = Long.toHexString(System.nanoTime());
        Load.Operation createAtRate = i -> http.post("/v1/payments", merchantKey, cardPayment(100 + i % 900), "bench-" + run2 + "-" + i)
                .map(response -> {
                    if (response.ok()) {
                        acknowledged.add(id(response.body()));
                    }
                    return response.status();
                });
        report.add(Load.fixedRate("create payments", settings.paymentRate(), settings.duration(), 20_000, createAtRate));
        List<String> answered = List.copyOf(acknowledged);
        report.check(checks.paymentsExistOnce(answered));
        report.check(createOnly ? checks.paymentsStayProcessing(answered) : checks.paymentsReachOutcome(answered, Duration.ofMinutes(5)));
        report.check(checks.booksBalance());
        synchronized (paymentIds) {
            answered.stream().limit(100_000).forEach(paymentIds::add);
        }
    }

    /** 2. Wallet transfers between many accounts, then between a few hot ones. */
    void transfers() throws Exception {
        List<String> many = openFundedAccounts(settings.accountsMany());
        accounts.addAll(many);
        transferRun("transfers, " + many.size() + " accounts", many);
        List<String> hot = openFundedAccounts(settings.accountsHot());
        transferRun("transfers, " + hot.size() + " hot accounts", hot);
        report.check(checks.booksBalance());
    }

    private void transferRun(String name, List<String> among) throws Exception {
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Load.Operation transfer = i -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            String from = among.get(random.nextInt(among.size()));
            String to = among.get(random.nextInt(among.size()));
            while (to.equals(from)) {
                to = among.get(random.nextInt(among.size()));
            }
            String body = "{\"from_account\":\"" + from + "\",\"to_account\":\"" + to + "\",\"amount\":" + (1 + random.nextInt(100))
                    + ",\"currency\":\"USD\"}";
            return http.post("/v1/transfers", merchantKey, body, null).map(response -> {
                if (response.ok()) {
                    acknowledged.add(id(response.body()));
                }
                return response.status();
            });
        };
        report.add(Load.closedLoop(name, settings.connections(), settings.duration(), Long.MAX_VALUE, transfer));
        report.check(transferCheck(Set.copyOf(acknowledged)));
    }

    private Checks.Outcome transferCheck(Set<String> acknowledged) throws Exception {
        try (var c = checks.connect(); var s = c.prepareStatement(
                "select count(*), count(distinct stream_id) from events where type = 'transfer.posted' and stream_id = any(?)")) {
            s.setArray(1, c.createArrayOf("text", acknowledged.toArray()));
            try (var rs = s.executeQuery()) {
                rs.next();
                boolean ok = rs.getLong(1) == acknowledged.size() && rs.getLong(2) == acknowledged.size();
                return new Checks.Outcome("every acknowledged transfer exists exactly once", ok,
                        acknowledged.size() + " acknowledged, " + rs.getLong(2) + " found");
            }
        }
    }

    /** 3. Balance and payment reads: closed loop, then a fixed rate. */
    void reads() {
        if (accounts.isEmpty()) {
            accounts.addAll(openFundedAccounts(100));
        }
        if (paymentIds.isEmpty()) {
            Load.closedLoop("seed payments", settings.connections(), Duration.ofSeconds(30), 2_000,
                    i -> http.post("/v1/payments", merchantKey, cardPayment(100), null).map(response -> {
                        synchronized (paymentIds) {
                            paymentIds.add(id(response.body()));
                        }
                        return response.status();
                    }));
        }
        List<String> payments = List.copyOf(paymentIds);
        Load.Operation read = i -> i % 2 == 0
                ? http.get("/v1/accounts/" + accounts.get((int) (i / 2 % accounts.size())), merchantKey).map(Http.Response::status)
                : http.get("/v1/payments/" + payments.get((int) (i / 2 % payments.size())), merchantKey).map(Http.Response::status);
        report.add(Load.closedLoop("read balances and payments", settings.connections(), settings.duration(), Long.MAX_VALUE, read));
        report.add(Load.fixedRate("read balances and payments", settings.readRate(), settings.duration(), 20_000, read));
    }

    private List<String> openFundedAccounts(int count) {
        return Flux.range(0, count)
                .flatMap(i -> http.post("/v1/accounts", merchantKey, "{\"currency\":\"USD\"}", null)
                        .map(response -> id(response.body()))
                        .flatMap(account -> http.post("/v1/accounts/" + account + "/deposits", merchantKey,
                                "{\"amount\":1000000000}", null).thenReturn(account)), settings.connections())
                .collectList()
                .block();
    }

    static String id(String body) {
        Matcher matcher = ID.matcher(body);
        if (!matcher.find()) {
            throw new IllegalStateException("no id in " + body);
        }
        return matcher.group(1);
    }
}
