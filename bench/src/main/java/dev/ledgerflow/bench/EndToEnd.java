package dev.ledgerflow.bench;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.HdrHistogram.Histogram;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Scenario 4, end to end: card payments (automatic capture) created at a fixed rate, each timed from
 * the moment its {@code POST /v1/payments} was due until a local receiver got its signed
 * {@code payment.succeeded} webhook; then checks that every acknowledged payment was delivered once
 * (retries only ever with the same {@code webhook-id}), every signature verifies, and the transaction
 * view shows every payment {@code succeeded}.
 */
final class EndToEnd {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Http http;
    private final Http admin;
    private final String merchantKey;
    private final String adminKey;
    private final Report report;
    private final Checks checks;

    private final List<String> instances;

    EndToEnd(Http http, Http admin, String merchantKey, String adminKey, Report report, Checks checks) {
        this(http, admin, merchantKey, adminKey, report, checks, List.of());
    }

    /** @param instances the base URLs of every instance the load is spread over, for their acquirer counters */
    EndToEnd(Http http, Http admin, String merchantKey, String adminKey, Report report, Checks checks, List<String> instances) {
        this.instances = instances;
        this.http = http;
        this.admin = admin;
        this.merchantKey = merchantKey;
        this.adminKey = adminKey;
        this.report = report;
        this.checks = checks;
    }

    void run(double perSecond, Duration duration) throws Exception {
        Receiver receiver = Receiver.start();
        try {
            String endpoint = http.post("/v1/webhook-endpoints", merchantKey,
                            "{\"url\":\"http://127.0.0.1:" + receiver.port() + "/hooks\",\"events\":[\"payment.succeeded\"]}", null)
                    .block()
                    .body();
            JsonNode created = JSON.readTree(endpoint);
            receiver.secret(created.get("secret").asString());

            // Start from a drained pipeline: what earlier scenarios left for the processor, the dispatcher
            // and the projections would otherwise be timed as this scenario's latency.
            long waited = System.nanoTime();
            long behind = ProjectionLag.waitUntilCaughtUp(admin, adminKey, Duration.ofMinutes(10));
            report.note(String.format("End to end started after %.1f s waiting for the feed readers to catch up with earlier"
                    + " scenarios (%d events still behind).", (System.nanoTime() - waited) / 1e9, behind));

            Map<String, Long> dueById = new ConcurrentHashMap<>();
            String run = Long.toHexString(System.nanoTime());
            double chargesBefore = AcquirerCounters.charges(instances);
            ProjectionLag lag = ProjectionLag.sample(admin, adminKey);
            long started = System.nanoTime();
            Load.Result posts = Load.fixedRate("end to end: create (POST only)", perSecond, duration, 20_000,
                    (i, due) -> http.post("/v1/payments", merchantKey, Scenarios.cardPayment(100 + i % 900), "e2e-" + run + "-" + i)
                            .map(response -> {
                                if (response.ok()) {
                                    dueById.put(Scenarios.id(response.body()), due);
                                }
                                return response.status();
                            }));
            report.add(posts);

            // Wait (bounded) for the stragglers: every acknowledged payment's webhook, or the deadline.
            long drainStarted = System.nanoTime();
            while (!receiver.receivedAll(dueById.keySet()) && System.nanoTime() - drainStarted < Duration.ofMinutes(3).toNanos()) {
                Thread.sleep(100);
            }
            long drained = System.nanoTime();
            lag.stop();
            report.statementsSinceRunStarted("end to end: create → webhook received",
                    String.format("fixed rate %.0f/s, from the start of the load until the last webhook", perSecond), dueById.size());

            Histogram latency = new Histogram(3_600_000_000L, 3);
            long lastReceipt = started;
            long missing = 0;
            for (var entry : dueById.entrySet()) {
                Long receipt = receiver.firstReceipt.get(entry.getKey());
                if (receipt == null) {
                    missing++;
                    continue;
                }
                latency.recordValue(Math.max(1, (receipt - entry.getValue()) / 1_000));
                lastReceipt = Math.max(lastReceipt, receipt);
            }
            double seconds = (lastReceipt - started) / 1e9;
            long delivered = dueById.size() - missing;
            report.add(new Load.Result("end to end: create → webhook received",
                    String.format("fixed rate %.0f/s, time from due to receipt", perSecond), posts.requests(), delivered,
                    Map.of(200, delivered), missing, seconds, latency));
            report.note(String.format("End to end: %d payments acknowledged, %d webhooks received (%d redeliveries with the same"
                            + " webhook-id), last one %.1f s after the load ended; transaction view lag sampled every 0.5 s:"
                            + " max %d ms, max %d events.", dueById.size(), delivered, receiver.redeliveries.sum(),
                    (drained - started) / 1e9 - duration.toSeconds(), lag.maxMs.get(), lag.maxEvents.get()));

            Set<String> acknowledged = Set.copyOf(dueById.keySet());
            report.note("End to end, where the time goes (p50 / p99, from the database's clocks): " + stages(acknowledged));
            report.check(new Checks.Outcome("every acknowledged payment's payment.succeeded webhook was received, once per webhook-id",
                    missing == 0 && receiver.conflictingIds.isEmpty(),
                    delivered + " of " + acknowledged.size() + " received; " + receiver.conflictingIds.size()
                            + " payments delivered under more than one webhook-id"));
            report.check(new Checks.Outcome("every webhook's signature verifies (Standard Webhooks, HMAC-SHA256)",
                    receiver.badSignatures.sum() == 0 && receiver.otherTypes.sum() == 0,
                    receiver.badSignatures.sum() + " bad signatures, " + receiver.otherTypes.sum() + " events of unsubscribed types"));
            report.check(checks.paymentsExistOnce(acknowledged));
            report.check(checks.chargedOnce(acknowledged));
            if (!instances.isEmpty()) {
                double charged = AcquirerCounters.charges(instances) - chargesBefore;
                report.check(new Checks.Outcome("ledger_acquirer_charges_total, summed over the " + instances.size()
                        + " instance(s), grew by the number of acknowledged payments", charged == acknowledged.size(),
                        String.format("%d payments, %.0f charges counted", acknowledged.size(), charged)));
            }
            report.check(checks.paymentsProjectedSucceeded(acknowledged, Duration.ofMinutes(2)));
            report.check(checks.booksBalance());
        } finally {
            receiver.close();
        }
    }

    /**
     * The pipeline's stages for these payments: created → succeeded (the payment processor, acquirer
     * included), succeeded → delivery stored (the webhook dispatcher), stored → first attempt started
     * (the Redis stream and the workers).
     */
    private String stages(Set<String> payments) throws Exception {
        String sql = """
                with p as (
                    select c.stream_id, c.recorded_at as created, s.recorded_at as succeeded, d.created_at as stored,
                           (select min(a.started_at) from webhook_attempts a where a.delivery_id = d.id) as attempted
                      from events c
                      join events s on s.stream_id = c.stream_id and s.type = 'payment.succeeded'
                      join webhook_deliveries d on d.event_id = s.event_id
                     where c.type = 'payment.created' and c.stream_id = any(?))
                select stage, percentile_cont(0.5) within group (order by ms), percentile_cont(0.99) within group (order by ms)
                  from (select 'processor' as stage, 1 as o, extract(epoch from succeeded - created) * 1000 as ms from p
                        union all select 'dispatcher', 2, extract(epoch from stored - succeeded) * 1000 from p
                        union all select 'queue and worker', 3, extract(epoch from attempted - stored) * 1000 from p) stages
                 group by stage, o order by o""";
        StringBuilder out = new StringBuilder();
        try (var c = checks.connect(); var s = c.prepareStatement(sql)) {
            s.setArray(1, c.createArrayOf("text", payments.toArray()));
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    out.append(out.isEmpty() ? "" : ", ").append(String.format("%s %.0f / %.0f ms", rs.getString(1), rs.getDouble(2),
                            rs.getDouble(3)));
                }
            }
        }
        return out.toString();
    }

    /** The local webhook receiver: verifies each signature and notes when each payment's event first arrived. */
    private static final class Receiver {
        final Map<String, Long> firstReceipt = new ConcurrentHashMap<>();
        final Map<String, String> webhookIdByPayment = new ConcurrentHashMap<>();
        final Set<String> conflictingIds = ConcurrentHashMap.newKeySet();
        final LongAdder redeliveries = new LongAdder();
        final LongAdder badSignatures = new LongAdder();
        final LongAdder otherTypes = new LongAdder();
        private volatile byte[] key;
        private DisposableServer server;

        static Receiver start() {
            Receiver receiver = new Receiver();
            receiver.server = HttpServer.create()
                    .host("127.0.0.1")
                    .port(0)
                    .route(routes -> routes.post("/hooks", (request, response) -> request.receive().aggregate().asString(StandardCharsets.UTF_8)
                            .map(body -> {
                                long now = System.nanoTime();
                                receiver.accept(request.requestHeaders().get("webhook-id"), request.requestHeaders().get("webhook-timestamp"),
                                        request.requestHeaders().get("webhook-signature"), body, now);
                                return 204;
                            })
                            .defaultIfEmpty(400)
                            .flatMap(status -> response.status(status).send().then())))
                    .bindNow();
            return receiver;
        }

        int port() {
            return server.port();
        }

        void secret(String whsec) {
            key = Base64.getDecoder().decode(whsec.substring("whsec_".length()));
        }

        void accept(String webhookId, String timestamp, String signatures, String body, long now) {
            if (!verifies(webhookId, timestamp, signatures, body)) {
                badSignatures.increment();
                return;
            }
            JsonNode event = JSON.readTree(body);
            if (!"payment.succeeded".equals(event.get("type").asString())) {
                otherTypes.increment();
                return;
            }
            String payment = event.get("data").get("id").asString();
            firstReceipt.putIfAbsent(payment, now);
            String earlier = webhookIdByPayment.putIfAbsent(payment, webhookId);
            if (earlier != null) {
                redeliveries.increment();
                if (!earlier.equals(webhookId)) {
                    conflictingIds.add(payment);
                }
            }
        }

        boolean verifies(String webhookId, String timestamp, String signatures, String body) {
            if (webhookId == null || timestamp == null || signatures == null || key == null) {
                return false;
            }
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                byte[] expected = mac.doFinal((webhookId + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
                for (String signature : signatures.split(" ")) {
                    if (signature.startsWith("v1,")
                            && MessageDigest.isEqual(expected, Base64.getDecoder().decode(signature.substring(3)))) {
                        return true;
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        }

        boolean receivedAll(Set<String> payments) {
            return firstReceipt.keySet().containsAll(payments);
        }

        void close() {
            server.disposeNow();
        }
    }

    /** Samples {@code GET /admin/projections} twice a second and keeps the transaction view's worst lag. */
    static final class ProjectionLag {
        final AtomicLong maxMs = new AtomicLong();
        final AtomicLong maxEvents = new AtomicLong();
        private volatile boolean running = true;
        private final List<Thread> threads = new ArrayList<>();

        static ProjectionLag sample(Http admin, String adminKey) {
            ProjectionLag lag = new ProjectionLag();
            Thread thread = Thread.ofVirtual().start(() -> {
                while (lag.running) {
                    try {
                        String body = admin.get("/admin/projections", adminKey).block(Duration.ofSeconds(5)).body();
                        for (JsonNode reader : JSON.readTree(body).get("data")) {
                            if ("transactions".equals(reader.get("name").asString())) {
                                lag.maxMs.accumulateAndGet(reader.get("lag_ms").asLong(), Math::max);
                                lag.maxEvents.accumulateAndGet(reader.get("lag_events").asLong(), Math::max);
                            }
                        }
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // A missed sample under load is not a result; the next one counts.
                    }
                }
            });
            lag.threads.add(thread);
            return lag;
        }

        /** Waits until every feed reader has no event left to handle (or the limit); returns how many were left. */
        static long waitUntilCaughtUp(Http admin, String adminKey, Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            long behind = Long.MAX_VALUE;
            while (System.nanoTime() < deadline) {
                try {
                    String body = admin.get("/admin/projections", adminKey).block(Duration.ofSeconds(10)).body();
                    behind = 0;
                    for (JsonNode reader : JSON.readTree(body).get("data")) {
                        behind += Math.max(0, reader.get("lag_events").asLong());
                    }
                    if (behind == 0) {
                        return 0;
                    }
                } catch (RuntimeException e) {
                    // asked again below
                }
                Thread.sleep(500);
            }
            return behind;
        }

        void stop() throws InterruptedException {
            running = false;
            for (Thread thread : threads) {
                thread.join(Duration.ofSeconds(10));
            }
        }
    }
}
