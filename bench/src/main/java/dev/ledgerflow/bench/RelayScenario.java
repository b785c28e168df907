package dev.ledgerflow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * 7. The Kafka relay's catch-up throughput over a backlog. A log of at least {@code --relay-events}
 * events is seeded (see {@link LogSeeder}) while the relay runs; the relay falls behind the
 * {@code COPY}, and from the moment seeding finished the harness watches the checkpoint of its feed
 * consumer ({@value #CONSUMER}) until it reaches the last event of the log. Events per second = the
 * events of the log after the relay's checkpoint when seeding finished (in memory, from {@code GET
 * /admin/projections}; counted in PostgreSQL) / the wall time until its saved checkpoint reached the
 * last one (saved at least once a second, so the figure errs low by up to a second).
 *
 * <p>The other readers of the feed (projections, payment processor, webhook dispatcher) catch up from
 * the same seeding at the same time, on the same cores; when they are done first, the rest of the
 * catch-up is reported too, as the relay's rate with no other reader behind. Afterwards the whole
 * topic is read back and held against the log ({@link RelayTopic}).
 */
final class RelayScenario {

    static final String CONSUMER = "kafka-relay";

    private static final Duration CHECKPOINT_POLL = Duration.ofMillis(250);
    private static final Duration API_CALL_EVERY = Duration.ofSeconds(5);
    private static final Duration CATCH_UP_MAX = Duration.ofMinutes(60);
    private static final String RELAY_CLIENT_ID = "ledgerflow-kafka-relay";
    private static final String IN_FLIGHT = "max.in.flight.requests.per.connection";
    private static final List<String> PRODUCER_KEYS = List.of(IN_FLIGHT, "batch.size", "linger.ms", "acks", "enable.idempotence");

    private final String baseUrl;
    private final String adminKey;
    private final Report report;
    private final Checks checks;
    private final long eventsMin;
    private final RelayTopic topic;
    private final Optional<CpuMeter> cpuMeter;
    private final Optional<Path> serviceLog;
    private final AdminApi api;

    /** A place in the feed: events are in {@code (txid, position)} order. */
    private record Point(long txid, long position) implements Comparable<Point> {
        @Override
        public int compareTo(Point other) {
            int byTxid = Long.compare(txid, other.txid);
            return byTxid != 0 ? byTxid : Long.compare(position, other.position);
        }
    }

    /** The relay's feed consumer as {@code GET /admin/projections} shows it: its checkpoint in memory, and its counters. */
    private record Place(Point point, long eventsHandled, long restarts, String lastError) {
        static Place of(JsonNode relay) {
            JsonNode error = relay.get("last_error");
            return new Place(new Point(relay.get("txid").asLong(), relay.get("position").asLong()), relay.get("events_handled").asLong(),
                    relay.get("restarts").asLong(), error == null || error.isNull() ? null : error.asString());
        }
    }

    /**
     * @param topic the relay's topic, read back for the no-loss checks
     * @param cpuMeter the run's meter when the harness started the service, else empty
     * @param serviceLog the service's output when the harness started it (the relay's producer settings are read from it), else empty
     */
    RelayScenario(String baseUrl, String adminKey, Report report, Checks checks, long eventsMin, RelayTopic topic,
            Optional<CpuMeter> cpuMeter, Optional<Path> serviceLog) {
        this.baseUrl = baseUrl;
        this.adminKey = adminKey;
        this.report = report;
        this.checks = checks;
        this.eventsMin = eventsMin;
        this.topic = topic;
        this.cpuMeter = cpuMeter;
        this.serviceLog = serviceLog;
        this.api = new AdminApi(baseUrl, adminKey);
    }

    void run() throws Exception {
        Place beforeSeeding = Place.of(relay(api.readers()));
        long seedingStarted = System.nanoTime();
        LogSeeder.Seeded seeded = new LogSeeder(baseUrl, adminKey, checks).seed(eventsMin);
        long seededAt = System.nanoTime();
        Place start = Place.of(relay(api.readers()));
        report.note("relay: " + seeded.summary(eventsMin, "the relay figure"));
        long backlog = eventsAfter(start.point(), null);
        report.note(String.format("relay: while the log was seeded (%.1f s) the relay moved %,d events; %,d were behind it when seeding"
                + " finished", (seededAt - seedingStarted) / 1e9, eventsAfter(beforeSeeding.point(), start.point()), backlog));

        // Progress from the relay's saved checkpoint (a key lookup, four times a second); the other readers' lag from the
        // admin API every few seconds only, as each call counts every reader's lag in PostgreSQL.
        Point head = head();
        long othersCaughtAt = 0;
        Point othersCaughtPoint = null;
        Boolean othersBehindAtStart = null; // known at the first call
        long deadline = seededAt + CATCH_UP_MAX.toNanos();
        long nextApiCall = seededAt;
        long caughtAt;
        while (true) {
            long now = System.nanoTime();
            Point saved = savedCheckpoint();
            if (saved.compareTo(head) >= 0) {
                caughtAt = now;
                break;
            }
            if (now >= nextApiCall) {
                List<JsonNode> readers = api.readers();
                List<String> behind = othersBehind(readers);
                if (othersBehindAtStart == null) {
                    othersBehindAtStart = !behind.isEmpty();
                }
                if (othersCaughtPoint == null && behind.isEmpty()) {
                    othersCaughtAt = now;
                    othersCaughtPoint = saved;
                }
                JsonNode relay = relay(readers);
                System.out.printf("  relay %,d events behind%s; other readers behind: %s%n", relay.get("lag_events").asLong(),
                        relay.get("lag_estimated").asBoolean() ? " (estimated)" : "", behind.isEmpty() ? "none" : String.join(", ", behind));
                nextApiCall = now + API_CALL_EVERY.toNanos();
            }
            if (now > deadline) {
                throw new IllegalStateException("the Kafka relay did not catch up within " + CATCH_UP_MAX);
            }
            Thread.sleep(CHECKPOINT_POLL.toMillis());
        }
        Place end = Place.of(relay(api.readers()));

        Map<String, String> producer = serviceLog.map(RelayScenario::producerSettings).orElse(Map.of());
        String inFlight = producer.containsKey(IN_FLIGHT) ? ", " + IN_FLIGHT + " " + producer.get(IN_FLIGHT) : "";
        report.note(producer.isEmpty() ? "relay: the relay's producer settings are unknown (not in the service's log)"
                : "relay: producer settings as the service logged them: " + producer);
        long relayed = eventsAfter(start.point(), head);
        if (relayed == 0) {
            report.note("relay: no backlog when seeding finished (the relay kept up with it): no catch-up rate; seed more events");
        } else {
            report.add(new Report.Throughput("kafka relay", "catch-up over a backlog" + inFlight, relayed, "events",
                    (caughtAt - seededAt) / 1e9));
            cpuMeter.flatMap(meter -> meter.between(seededAt, caughtAt))
                    .ifPresent(used -> report.note(cpuNote("catch-up, other readers catching up too", used, relayed)));
        }
        if (Boolean.TRUE.equals(othersBehindAtStart) && othersCaughtPoint != null) {
            long alone = eventsAfter(othersCaughtPoint, head);
            long from = othersCaughtAt;
            if (alone > 0) {
                report.add(new Report.Throughput("kafka relay", "catch-up, other readers done" + inFlight, alone, "events",
                        (caughtAt - from) / 1e9));
                cpuMeter.flatMap(meter -> meter.between(from, caughtAt))
                        .ifPresent(used -> report.note(cpuNote("catch-up after the other readers were done", used, alone)));
            }
        }
        report.note(String.format("relay: caught up %.1f s after seeding finished (its saved checkpoint reached the last event of the"
                + " log; saved at least once a second, polled four times a second); the other readers of the feed %s", (caughtAt - seededAt) / 1e9, othersCaughtPoint == null ? "were still behind then"
                : String.format("caught up after %.1f s", Math.max(0, othersCaughtAt - seededAt) / 1e9)));
        long handled = end.eventsHandled() - start.eventsHandled();
        long restarts = end.restarts() - beforeSeeding.restarts();
        report.note(String.format("relay: the feed consumer finished %,d events for the %,d of the log it passed%s; %d restarts during the"
                        + " scenario%s", handled, relayed, handled == relayed ? "" : " (the difference: events handed over again)", restarts,
                restarts == 0 ? "" : ", last error: " + end.lastError()));

        long readStarted = System.nanoTime();
        topic.check(head.txid(), head.position()).forEach(report::check);
        report.note(String.format("relay: reading the topic back and checking it took %.1f s", (System.nanoTime() - readStarted) / 1e9));
    }

    /** The relay's feed consumer among the readers; the scenario cannot run without it. */
    private static JsonNode relay(List<JsonNode> readers) {
        return readers.stream()
                .filter(reader -> CONSUMER.equals(reader.get("name").asString()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("GET /admin/projections lists no " + CONSUMER + " consumer: the service runs"
                        + " without Kafka. Let bench/run start it (--scenarios relay), or start yours with LEDGER_KAFKA_BOOTSTRAP set and"
                        + " pass --kafka-bootstrap"));
    }

    /** The other readers still behind the log, each with its lag. */
    private static List<String> othersBehind(List<JsonNode> readers) {
        List<String> behind = new ArrayList<>();
        for (JsonNode reader : readers) {
            String name = reader.get("name").asString();
            if (!CONSUMER.equals(name) && (reader.get("lag_events").asLong() > 0 || !reader.get("rebuild").isNull())) {
                behind.add(name + " " + reader.get("lag_events").asLong());
            }
        }
        return behind;
    }

    /** Events of the log after {@code after}, up to and including {@code upTo} (to the end of the log when null). */
    private long eventsAfter(Point after, Point upTo) throws Exception {
        String sql = "select count(*) from events where (txid, position) > (?::text::xid8, ?)"
                + (upTo == null ? "" : " and (txid, position) <= (?::text::xid8, ?)");
        try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, Long.toString(after.txid()));
            s.setLong(2, after.position());
            if (upTo != null) {
                s.setString(3, Long.toString(upTo.txid()));
                s.setLong(4, upTo.position());
            }
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The last event of the log in feed order. */
    private Point head() throws Exception {
        // Ordered by the column, not by the output's text form (which ORDER BY txid would pick: '999' > '1000').
        return point("select e.txid::text, e.position from events e order by e.txid desc, e.position desc limit 1", new Point(0, 0));
    }

    /** The relay's saved checkpoint: what a restart would resume after; saved at least once a second while it moves. */
    private Point savedCheckpoint() throws Exception {
        return point("select txid::text, position from consumer_leases where consumer = '" + CONSUMER + "'"
                + " order by txid, position limit 1", new Point(0, 0));
    }

    private Point point(String sql, Point none) throws Exception {
        try (Connection c = checks.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            return rs.next() ? new Point(Long.parseLong(rs.getString(1)), rs.getLong(2)) : none;
        }
    }

    /** The service JVM hosts the relay, the other feed readers and the embedded broker: its CPU is all of theirs. */
    private static String cpuNote(String what, CpuMeter.Usage used, long events) {
        StringBuilder note = new StringBuilder(String.format("relay %s: %.1f s, CPU busy %.2f cores; CPU µs per event relayed:", what,
                used.wallSeconds(), used.busyCores()));
        used.cpuSeconds().forEach((component, seconds) -> note.append(String.format(" %s %.0f,", component, seconds * 1e6 / events)));
        return note.substring(0, note.length() - 1) + " (the service JVM runs the relay, the other readers of the feed and the embedded"
                + " Kafka broker)";
    }

    /**
     * The relay producer's settings from the last {@code ProducerConfig values:} block with its client id
     * in the service's log (the harness starts the service with that logger at INFO).
     */
    static Map<String, String> producerSettings(Path log) {
        Map<String, String> last = Map.of();
        try {
            List<String> lines = Files.readAllLines(log);
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).contains("ProducerConfig values:")) {
                    continue;
                }
                Map<String, String> block = new LinkedHashMap<>();
                for (int j = i + 1; j < lines.size() && lines.get(j).startsWith("\t"); j++) {
                    String[] setting = lines.get(j).strip().split(" = ", 2);
                    block.put(setting[0], setting.length > 1 ? setting[1] : "");
                }
                if (RELAY_CLIENT_ID.equals(block.get("client.id"))) {
                    Map<String, String> wanted = new LinkedHashMap<>();
                    PRODUCER_KEYS.forEach(key -> wanted.put(key, block.get(key)));
                    last = wanted;
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return last;
    }
}
