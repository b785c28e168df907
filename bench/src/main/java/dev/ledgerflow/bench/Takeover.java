package dev.ledgerflow.bench;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * With more than one instance: card payments through the first instance while the last one is killed
 * (SIGKILL: no shutdown, no lease given back). Measures how long until the other instances own every
 * partition of the payment processor and the webhook dispatcher ({@code GET /admin/cluster}), then
 * checks that every payment reached its outcome and was charged once.
 */
final class Takeover {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration TAKEOVER_MAX = Duration.ofSeconds(10);

    private final Http first;
    private final Http admin;
    private final String merchantKey;
    private final String adminKey;
    private final Report report;
    private final Checks checks;

    Takeover(Http first, Http admin, String merchantKey, String adminKey, Report report, Checks checks) {
        this.first = first;
        this.admin = admin;
        this.merchantKey = merchantKey;
        this.adminKey = adminKey;
        this.report = report;
        this.checks = checks;
    }

    void run(ServiceProcess victim, double perSecond, Duration duration) throws Exception {
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        String run = Long.toHexString(System.nanoTime());
        CompletableFuture<Load.Result> load = CompletableFuture.supplyAsync(() -> Load.fixedRate(
                "takeover: create while an instance is killed", perSecond, duration, 2_000,
                (i, due) -> first.post("/v1/payments", merchantKey, Scenarios.cardPayment(100 + i % 900), "takeover-" + run + "-" + i)
                        .map(response -> {
                            if (response.ok()) {
                                acknowledged.put(Scenarios.id(response.body()), due);
                            }
                            return response.status();
                        })));
        Thread.sleep(duration.toMillis() / 3);
        long killedAt = System.nanoTime();
        victim.kill9();
        long takeoverNanos = -1;
        while (System.nanoTime() - killedAt < Duration.ofMinutes(2).toNanos()) {
            if (ownedByOthers(victim.instanceId)) {
                takeoverNanos = System.nanoTime() - killedAt;
                break;
            }
            Thread.sleep(100);
        }
        report.add(load.join());
        Set<String> ids = Set.copyOf(acknowledged.keySet());
        report.note(String.format("Takeover: %s killed (SIGKILL) under load; every partition of the payment processor and the"
                + " webhook dispatcher owned by the other instance(s) %s after the kill (lease ttl 6 s, heartbeat 2 s).",
                victim.instanceId, takeoverNanos < 0 ? "not within 2 min" : String.format("%.1f s", takeoverNanos / 1e9)));
        report.check(new Checks.Outcome("a killed instance's partitions are owned by the others within " + TAKEOVER_MAX.toSeconds() + " s",
                takeoverNanos >= 0 && takeoverNanos <= TAKEOVER_MAX.toNanos(),
                takeoverNanos < 0 ? "never" : String.format("%.1f s", takeoverNanos / 1e9)));
        report.check(checks.paymentsReachOutcome(ids, Duration.ofMinutes(2)));
        report.check(checks.chargedOnce(ids));
    }

    private boolean ownedByOthers(String victim) throws Exception {
        Http.Response response = admin.get("/admin/cluster", adminKey).block(Duration.ofSeconds(30));
        if (response == null || !response.ok()) {
            return false;
        }
        JsonNode view = JSON.readTree(response.body());
        for (JsonNode group : view.get("groups")) {
            String name = group.get("group").asString();
            if (!name.equals("payment-processor") && !name.equals("webhook-dispatcher")) {
                continue;
            }
            if (group.get("unowned").asInt() != 0 || group.get("owners").has(victim)) {
                return false;
            }
        }
        return true;
    }
}
