package dev.ledgerflow.bench;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fills the service's event log with at least a given number of events, fast and consistent, for the
 * rebuild and relay scenarios. First a template of real traffic is made through the HTTP API (three
 * merchants: accounts in two currencies, deposits, transfers, card, UPI and wallet payments, manual
 * captures, a cancel, partial and full refunds, each taken to its outcome by the service's own payment
 * processor).
 * Then the template is cloned with {@code COPY}: every clone is the template's events in their feed
 * order with new object ids (a fresh ULID random part behind the original time part) substituted in
 * stream ids, payloads and causation ids, new event ids, the same stream versions, the {@code streams}
 * rows, and the inline balances: a cloned account gets the template account's balance (the fold of
 * its postings), and each account the clones share with the template (card clearing, funding, the
 * merchants' settlement accounts) gets the template's net postings once per clone, in the same
 * transaction as the events. So the books equal the fold of the log at every commit, which
 * {@link Checks#booksBalance()} and {@code /admin/invariants} then verify independently.
 *
 * <p>Honest about what it is: the write path (deciders, the append function's guards) is not run for
 * the clones, only for the template; the clones are what the same requests would have appended
 * against fresh accounts. Payload times ({@code created_at}, {@code at}) are the template's; each clone's
 * {@code recorded_at} is when its batch was copied, as the store sets it.
 */
final class LogSeeder {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Object ids the clones get new values for, and event ids (the causation ids in metadata). */
    private static final Pattern TOKEN = Pattern.compile("(?<![A-Za-z0-9_])(?:(?:acc|dep|tr|pay|re)_[0-9A-HJKMNP-TV-Z]{26}"
            + "|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![A-Za-z0-9_])");
    private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final int EVENTS_PER_BATCH = 20_000;
    private static final int WRITERS = 2;
    private static final int CONCURRENCY = 16;

    private final Http http;
    private final String adminKey;
    private final Checks checks;

    /** What seeding did; all times in seconds. */
    record Seeded(long eventsBefore, long eventsAfter, int templateEvents, int templateStreams, int templateMerchants,
            int clones, double templateSeconds, double copySeconds, double vacuumSeconds) {
        double totalSeconds() {
            return templateSeconds + copySeconds + vacuumSeconds;
        }

        /** One sentence for the report: what was seeded and how fast, and which figure it is not part of. */
        String summary(long eventsMin, String notCountedIn) {
            if (clones == 0) {
                return String.format("the log already held %,d events (at least %,d asked for): not seeded", eventsBefore, eventsMin);
            }
            return String.format("log seeded from %,d to %,d events in %.1f s, not counted in %s: template of %d events (%d streams, %d"
                            + " merchants) made through the HTTP API in %.1f s, %,d clones of it copied in %.1f s (%.0f events/s), vacuum"
                            + " analyze %.1f s", eventsBefore, eventsAfter, totalSeconds(), notCountedIn, templateEvents, templateStreams,
                    templateMerchants, templateSeconds, clones, copySeconds, (eventsAfter - eventsBefore) / copySeconds, vacuumSeconds);
        }
    }

    LogSeeder(String baseUrl, String adminKey, Checks checks) {
        this.http = new Http(baseUrl, CONCURRENCY);
        this.adminKey = adminKey;
        this.checks = checks;
    }

    /** Seeds until the log holds at least {@code eventsMin} events; does nothing if it already does. */
    Seeded seed(long eventsMin) throws Exception {
        long before = checks.count("select count(*) from events");
        if (before >= eventsMin) {
            return new Seeded(before, before, 0, 0, 0, 0, 0, 0, 0);
        }
        long started = System.nanoTime();
        List<String> merchants = makeTemplateTraffic();
        Template template = template(merchants);
        double templateSeconds = (System.nanoTime() - started) / 1e9;
        long now = checks.count("select count(*) from events");
        int clones = (int) Math.ceilDiv(eventsMin - now, template.events.size());
        System.out.printf("  template: %d events in %d streams of %d merchants, made through HTTP in %.1f s; %d clones to copy%n",
                template.events.size(), template.streams.size(), merchants.size(), templateSeconds, clones);
        long copyStarted = System.nanoTime();
        copyClones(template, clones);
        double copySeconds = (System.nanoTime() - copyStarted) / 1e9;
        long vacuumStarted = System.nanoTime();
        // A log this old would have been vacuumed and analysed by autovacuum long ago: without it the first
        // reader of each page sets hint bits (writing it), and the planner would plan with stale counts.
        try (Connection c = checks.connect(); Statement s = c.createStatement()) {
            s.execute("vacuum (analyze) events");
            s.execute("vacuum (analyze) streams");
            s.execute("vacuum (analyze) account_balances");
        }
        double vacuumSeconds = (System.nanoTime() - vacuumStarted) / 1e9;
        long after = checks.count("select count(*) from events");
        return new Seeded(before, after, template.events.size(), template.streams.size(), merchants.size(), clones,
                templateSeconds, copySeconds, vacuumSeconds);
    }

    // ---- the template: real traffic through the API ----

    private record Merchant(String id, String key, List<String> usd, List<String> eur) {}

    private record Paid(String merchantKey, String id, long amount) {}

    /** Makes the template's traffic and waits until every payment and refund has its outcome; answers the merchants' ids. */
    private List<String> makeTemplateTraffic() throws Exception {
        Random random = new Random(42);
        String run = Long.toHexString(System.currentTimeMillis());
        List<Merchant> merchants = new ArrayList<>();
        for (int m = 0; m < 3; m++) {
            String body = http.post("/v1/merchants", adminKey, "{\"name\":\"rebuild template " + m + " " + run + "\"}", null)
                    .block(Duration.ofSeconds(30)).body();
            JsonNode created = JSON.readTree(body);
            merchants.add(new Merchant(created.get("id").asString(), created.get("api_key").asString(), new ArrayList<>(),
                    new ArrayList<>()));
        }
        // Accounts: eight in USD (two may overdraw a little), three in EUR.
        List<Mono<Http.Response>> calls = new ArrayList<>();
        List<List<String>> into = new ArrayList<>();
        for (Merchant m : merchants) {
            for (int i = 0; i < 11; i++) {
                String currency = i < 8 ? "USD" : "EUR";
                String body = "{\"currency\":\"" + currency + "\"" + (i < 2 ? ",\"overdraft_limit\":50000" : "")
                        + (i % 3 == 0 ? ",\"metadata\":{\"customer\":\"cus_" + i + "\"}" : "") + "}";
                calls.add(http.post("/v1/accounts", m.key, body, null));
                into.add(i < 8 ? m.usd : m.eur);
            }
        }
        List<String> accountIds = ids(calls);
        for (int i = 0; i < accountIds.size(); i++) {
            into.get(i).add(accountIds.get(i));
        }
        // Deposits: one into every account, a second into the USD ones.
        calls.clear();
        for (Merchant m : merchants) {
            for (String account : m.usd) {
                calls.add(http.post("/v1/accounts/" + account + "/deposits", m.key, "{\"amount\":" + (400_000 + random.nextInt(100_000)) + "}", null));
                calls.add(http.post("/v1/accounts/" + account + "/deposits", m.key, "{\"amount\":250000}", null));
            }
            for (String account : m.eur) {
                calls.add(http.post("/v1/accounts/" + account + "/deposits", m.key, "{\"amount\":" + (300_000 + random.nextInt(100_000)) + "}", null));
            }
        }
        ids(calls);
        // Transfers, and payments by card (approved, declined, insufficient funds), UPI and wallet.
        calls.clear();
        List<Paid> approved = new ArrayList<>();
        List<Paid> walletAutomatic = new ArrayList<>();
        List<Paid> walletManual = new ArrayList<>();
        List<Paid> others = new ArrayList<>();
        List<List<Paid>> payments = new ArrayList<>();
        List<Long> amounts = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (Merchant m : merchants) {
            for (int i = 0; i < 50; i++) {
                List<String> among = i < 40 ? m.usd : m.eur;
                int from = random.nextInt(among.size());
                int to = (from + 1 + random.nextInt(among.size() - 1)) % among.size();
                String body = "{\"from_account\":\"" + among.get(from) + "\",\"to_account\":\"" + among.get(to) + "\",\"amount\":"
                        + (100 + random.nextInt(4_900)) + ",\"currency\":\"" + (i < 40 ? "USD" : "EUR") + "\""
                        + (i % 4 == 0 ? ",\"description\":\"invoice " + i + "\"" : "") + "}";
                calls.add(http.post("/v1/transfers", m.key, body, null));
                payments.add(null);
                amounts.add(0L);
                keys.add(m.key);
            }
            for (int i = 0; i < 45; i++) {
                long amount = 500 + random.nextInt(20_000);
                String body;
                List<Paid> kind;
                if (i < 24) {
                    body = card(amount, "USD", "4242424242424242", i % 5 == 0 ? ",\"description\":\"order " + i + "\"" : "");
                    kind = approved;
                } else if (i < 32) {
                    body = card(amount, "EUR", "5555555555554444", "");
                    kind = approved;
                } else if (i < 34) {
                    body = "{\"amount\":" + amount + ",\"currency\":\"USD\",\"source\":{\"type\":\"upi\",\"vpa\":\"success@upi\"}}";
                    kind = approved;
                } else if (i < 37) {
                    body = card(amount, "USD", "4000000000000002", "");
                    kind = others;
                } else if (i < 38) {
                    body = card(amount, "USD", "4000000000009995", "");
                    kind = others;
                } else if (i < 42) {
                    body = wallet(amount, m.usd.get(i % m.usd.size()), "automatic");
                    kind = walletAutomatic;
                } else {
                    body = wallet(amount, m.usd.get(i % m.usd.size()), "manual");
                    kind = walletManual;
                }
                calls.add(http.post("/v1/payments", m.key, body, null));
                payments.add(kind);
                amounts.add(amount);
                keys.add(m.key);
            }
        }
        List<String> made = ids(calls);
        List<String> paymentIds = new ArrayList<>();
        for (int i = 0; i < made.size(); i++) {
            if (payments.get(i) != null) {
                payments.get(i).add(new Paid(keys.get(i), made.get(i), amounts.get(i)));
                paymentIds.add(made.get(i));
            }
        }
        requireOk(checks.paymentsReachOutcome(paymentIds, Duration.ofMinutes(2)));
        // Captures (partial and full), a cancel, refunds (partial, full, two on one payment, one of a wallet payment).
        calls.clear();
        for (int i = 0; i < walletManual.size(); i++) {
            Paid p = walletManual.get(i);
            calls.add(switch (i % 3) {
                case 0 -> http.post("/v1/payments/" + p.id + "/capture", p.merchantKey, "{\"amount\":" + p.amount / 2 + "}", null);
                case 1 -> http.post("/v1/payments/" + p.id + "/capture", p.merchantKey, "{}", null);
                default -> http.post("/v1/payments/" + p.id + "/cancel", p.merchantKey, "{}", null);
            });
        }
        ids(calls);
        calls.clear();
        List<Paid> refunded = new ArrayList<>();
        for (int i = 0; i < approved.size(); i += 3) {
            refunded.add(approved.get(i));
        }
        refunded.addAll(walletAutomatic.subList(0, 3));
        for (int i = 0; i < refunded.size(); i++) {
            Paid p = refunded.get(i);
            String body = i % 5 == 4 ? "{}" : "{\"amount\":" + Math.max(1, p.amount / 4) + ",\"reason\":\"requested_by_customer\"}";
            calls.add(http.post("/v1/payments/" + p.id + "/refunds", p.merchantKey, body, null));
        }
        List<String> refunds = new ArrayList<>(ids(calls));
        calls.clear();
        for (int i = 0; i < refunded.size(); i += 3) {
            if (i % 5 == 4) {
                continue; // refunded in full already
            }
            Paid p = refunded.get(i);
            calls.add(http.post("/v1/payments/" + p.id + "/refunds", p.merchantKey, "{\"amount\":" + Math.max(1, p.amount / 8) + "}", null));
        }
        refunds.addAll(ids(calls));
        awaitRefunds(refunds, Duration.ofMinutes(2));
        return merchants.stream().map(Merchant::id).toList();
    }

    private static String card(long amount, String currency, String number, String extra) {
        return "{\"amount\":" + amount + ",\"currency\":\"" + currency + "\",\"source\":{\"type\":\"card\",\"number\":\"" + number
                + "\",\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}" + extra + "}";
    }

    private static String wallet(long amount, String account, String captureMethod) {
        return "{\"amount\":" + amount + ",\"currency\":\"USD\",\"capture_method\":\"" + captureMethod
                + "\",\"source\":{\"type\":\"account\",\"account\":\"" + account + "\"}}";
    }

    /** Runs the calls (some at once), requiring each to succeed; answers the ids of what they made, in order. */
    private static List<String> ids(List<Mono<Http.Response>> calls) {
        return Flux.fromIterable(List.copyOf(calls))
                .flatMapSequential(call -> call, CONCURRENCY)
                .map(response -> {
                    if (!response.ok()) {
                        throw new IllegalStateException("template request failed: " + response.status() + " " + response.body());
                    }
                    return Scenarios.id(response.body());
                })
                .collectList()
                .block(Duration.ofMinutes(5));
    }

    private void awaitRefunds(List<String> refunds, Duration waitMax) throws Exception {
        long deadline = System.nanoTime() + waitMax.toNanos();
        while (true) {
            try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement("select count(*) from events"
                    + " where type in ('refund.succeeded', 'refund.failed') and payload -> 'data' ->> 'id' = any(?)")) {
                s.setArray(1, c.createArrayOf("text", refunds.toArray()));
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == refunds.size()) {
                        return;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("template refunds did not all complete within " + waitMax);
            }
            Thread.sleep(200);
        }
    }

    private static void requireOk(Checks.Outcome outcome) {
        if (!outcome.ok()) {
            throw new IllegalStateException("template traffic incomplete: " + outcome.name() + ": " + outcome.detail());
        }
    }

    // ---- the template compiled for cloning ----

    /**
     * A text with holes: literal parts (already escaped for COPY's text format) between substituted
     * tokens, each an object id (index ≥ 0) or a template event's id (−index − 1).
     */
    private record Holed(String[] parts, int[] holes) {
        void render(StringBuilder out, String[] ids, String[] eventIds) {
            for (int i = 0; i < holes.length; i++) {
                out.append(parts[i]).append(holes[i] >= 0 ? ids[holes[i]] : eventIds[-holes[i] - 1]);
            }
            out.append(parts[holes.length]);
        }
    }

    private record TemplateEvent(int stream, long version, String type, Holed payload, Holed metadata) {}

    private record ClonedAccount(int id, String currency, String merchant, long posted, long pending, long overdraftLimit,
            boolean guarded) {}

    private record Template(List<TemplateEvent> events, List<String> ids, Map<Integer, Long> streams,
            List<ClonedAccount> accounts, Map<String, long[]> sharedDeltas) {}

    private Template template(List<String> merchants) throws SQLException {
        List<String[]> rows = new ArrayList<>();
        try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement("select stream_id, stream_version,"
                + " event_id::text, type, payload::text, metadata::text from events"
                + " where metadata ->> 'merchant' = any(?) order by txid, position")) {
            s.setArray(1, c.createArrayOf("text", merchants.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6)});
                }
            }
        }
        Map<String, Integer> eventIndex = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            eventIndex.put(rows.get(i)[2], i);
        }
        Map<String, Integer> idIndex = new LinkedHashMap<>();
        List<TemplateEvent> events = new ArrayList<>();
        Map<Integer, Long> streams = new TreeMap<>();
        Map<String, long[]> folded = new TreeMap<>();
        for (String[] row : rows) {
            int stream = idIndex.computeIfAbsent(row[0], id -> idIndex.size());
            if (!TOKEN.matcher(row[0]).matches()) {
                throw new IllegalStateException("template stream id " + row[0] + " is not an object id the clones can renumber");
            }
            long version = Long.parseLong(row[1]);
            long expected = streams.getOrDefault(stream, 0L) + 1;
            if (version != expected) {
                throw new IllegalStateException("template stream " + row[0] + " has version " + version + " where " + expected + " was due");
            }
            streams.put(stream, version);
            events.add(new TemplateEvent(stream, version, row[3], holed(row[4], idIndex, eventIndex),
                    holed(row[5], idIndex, eventIndex)));
            JsonNode postings = JSON.readTree(row[4]).path("event").path("postings");
            for (JsonNode p : postings) {
                long[] sums = folded.computeIfAbsent(p.get("account_id").asString(), a -> new long[2]);
                sums[0] += p.get("posted_delta_minor").asLong();
                sums[1] += p.get("pending_delta_minor").asLong();
            }
        }
        List<String> ids = new ArrayList<>(idIndex.keySet());
        // Every template stream must be whole: no event of it outside the template (its version is the count).
        try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement(
                "select stream_id, version from streams where stream_id = any(?)")) {
            List<String> streamIds = streams.keySet().stream().map(ids::get).toList();
            s.setArray(1, c.createArrayOf("text", streamIds.toArray()));
            int found = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    found++;
                    if (rs.getLong(2) != streams.get(idIndex.get(rs.getString(1)))) {
                        throw new IllegalStateException("template stream " + rs.getString(1) + " moved on while it was read");
                    }
                }
            }
            if (found != streamIds.size()) {
                throw new IllegalStateException("template streams without a streams row");
            }
        }
        // Accounts: the template's own are cloned with their balance; the others are shared and get the net postings.
        List<ClonedAccount> accounts = new ArrayList<>();
        Map<String, long[]> shared = new TreeMap<>();
        try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement("select account_id, currency::text,"
                + " merchant_id, posted, pending, overdraft_limit, guarded from account_balances where account_id = any(?)")) {
            List<String> accountIds = new ArrayList<>(folded.keySet());
            ids.stream().filter(id -> id.startsWith("acc_")).filter(id -> !folded.containsKey(id)).forEach(accountIds::add);
            s.setArray(1, c.createArrayOf("text", accountIds.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String account = rs.getString(1);
                    long[] sums = folded.getOrDefault(account, new long[2]);
                    Integer index = idIndex.get(account);
                    if (index == null) {
                        shared.put(account, sums);
                        continue;
                    }
                    if (rs.getLong(4) != sums[0] || rs.getLong(5) != sums[1]) {
                        throw new IllegalStateException("template account " + account + " holds " + rs.getLong(4) + "/" + rs.getLong(5)
                                + " but its template postings fold to " + sums[0] + "/" + sums[1]);
                    }
                    accounts.add(new ClonedAccount(index, rs.getString(2).strip(), rs.getString(3), sums[0], sums[1], rs.getLong(6),
                            rs.getBoolean(7)));
                }
            }
            if (accounts.size() + shared.size() != accountIds.size()) {
                throw new IllegalStateException("an account of the template has no balance row");
            }
        }
        return new Template(events, ids, streams, accounts, shared);
    }

    private static Holed holed(String text, Map<String, Integer> ids, Map<String, Integer> events) {
        if (text.indexOf('\t') >= 0 || text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
            throw new IllegalStateException("unexpected control character in stored JSON");
        }
        List<String> parts = new ArrayList<>();
        List<Integer> holes = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        int last = 0;
        StringBuilder literal = new StringBuilder();
        while (m.find()) {
            String token = m.group();
            Integer hole;
            if (token.indexOf('-') > 0) {
                Integer event = events.get(token);
                hole = event == null ? null : -event - 1;
            } else {
                hole = ids.computeIfAbsent(token, id -> ids.size());
            }
            literal.append(text, last, m.start());
            last = m.end();
            if (hole == null) {
                literal.append(token);
                continue;
            }
            parts.add(copyEscaped(literal.toString()));
            literal.setLength(0);
            holes.add(hole);
        }
        literal.append(text, last, text.length());
        parts.add(copyEscaped(literal.toString()));
        return new Holed(parts.toArray(String[]::new), holes.stream().mapToInt(Integer::intValue).toArray());
    }

    /** COPY's text format reads a backslash as an escape: JSON's own escapes must be doubled. */
    private static String copyEscaped(String text) {
        return text.replace("\\", "\\\\");
    }

    // ---- the clones ----

    private void copyClones(Template template, int clones) throws Exception {
        int perBatch = Math.max(1, EVENTS_PER_BATCH / template.events.size());
        AtomicInteger done = new AtomicInteger();
        List<Future<?>> batches = new ArrayList<>();
        try (ExecutorService writers = Executors.newFixedThreadPool(WRITERS)) {
            for (int first = 0; first < clones; first += perBatch) {
                int count = Math.min(perBatch, clones - first);
                batches.add(writers.submit(() -> {
                    copyBatch(template, count);
                    int total = done.addAndGet(count);
                    if (total % (perBatch * 10) < perBatch || total == clones) {
                        System.out.printf("  copied %d of %d clones%n", total, clones);
                    }
                    return null;
                }));
            }
            for (Future<?> batch : batches) {
                batch.get();
            }
        }
    }

    /** One transaction: the clones' events, streams and accounts, and the shared accounts' net postings. */
    private void copyBatch(Template template, int count) throws SQLException, java.io.IOException {
        int n = template.events.size();
        StringBuilder events = new StringBuilder(count * n * 1_400);
        StringBuilder streams = new StringBuilder(count * template.streams.size() * 40);
        StringBuilder accounts = new StringBuilder(count * template.accounts.size() * 100);
        String[] ids = new String[template.ids.size()];
        String[] eventIds = new String[n];
        for (int c = 0; c < count; c++) {
            for (int i = 0; i < ids.length; i++) {
                ids[i] = renumbered(template.ids.get(i));
            }
            for (int i = 0; i < n; i++) {
                eventIds[i] = UUID.randomUUID().toString();
            }
            for (int i = 0; i < n; i++) {
                TemplateEvent e = template.events.get(i);
                events.append(ids[e.stream]).append('\t').append(e.version).append('\t').append(eventIds[i]).append('\t')
                        .append(e.type).append('\t');
                e.payload.render(events, ids, eventIds);
                events.append('\t');
                e.metadata.render(events, ids, eventIds);
                events.append('\n');
            }
            template.streams.forEach((stream, version) -> streams.append(ids[stream]).append('\t').append(version).append('\n'));
            for (ClonedAccount a : template.accounts) {
                accounts.append(ids[a.id]).append('\t').append(a.currency).append('\t').append(a.merchant == null ? "\\N" : a.merchant)
                        .append('\t').append(a.posted).append('\t').append(a.pending).append('\t').append(a.overdraftLimit)
                        .append('\t').append(a.guarded ? 't' : 'f').append('\n');
            }
        }
        try (Connection c = checks.connect()) {
            c.setAutoCommit(false);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            copy.copyIn("copy events (stream_id, stream_version, event_id, type, payload, metadata) from stdin",
                    new StringReader(events.toString()), 1 << 16);
            copy.copyIn("copy streams (stream_id, version) from stdin", new StringReader(streams.toString()), 1 << 16);
            copy.copyIn("copy account_balances (account_id, currency, merchant_id, posted, pending, overdraft_limit, guarded)"
                    + " from stdin", new StringReader(accounts.toString()), 1 << 16);
            // Shared accounts in id order, as the append function locks them: no deadlock with the service's appends.
            try (PreparedStatement s = c.prepareStatement(
                    "update account_balances set posted = posted + ?, pending = pending + ? where account_id = ?")) {
                for (Map.Entry<String, long[]> shared : template.sharedDeltas.entrySet()) {
                    s.setLong(1, Math.multiplyExact(shared.getValue()[0], (long) count));
                    s.setLong(2, Math.multiplyExact(shared.getValue()[1], (long) count));
                    s.setString(3, shared.getKey());
                    if (s.executeUpdate() != 1) {
                        throw new IllegalStateException("shared account " + shared.getKey() + " is gone");
                    }
                }
            }
            // Wake the feed's readers at commit, as an append does.
            try (Statement s = c.createStatement()) {
                s.execute("select pg_notify('ledger_events', '')");
            }
            c.commit();
        }
    }

    /** The same kind of id with the same time part and a fresh random part. */
    private static String renumbered(String id) {
        int underscore = id.indexOf('_');
        char[] out = id.toCharArray();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = underscore + 11; i < out.length; i++) {
            out[i] = CROCKFORD[random.nextInt(32)];
        }
        return new String(out);
    }
}
