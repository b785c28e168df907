package dev.ledgerflow.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import reactor.core.publisher.Mono;

/**
 * The chaos scenarios' workload: a mix of card payments (automatic and manual capture), captures,
 * refunds and wallet transfers at a fixed rate, each sent with an {@code Idempotency-Key} and, like a
 * careful client, sent again with the same key after a 5xx or a broken connection (after its
 * {@code Retry-After}) until it gets a definite answer or its deadline passes. Every 2xx is logged
 * (kind, id, key) in memory and to a file; every answer's status is counted, 5xx included.
 */
final class ChaosLoad {

    enum Kind { PAYMENT, MANUAL_PAYMENT, CAPTURE, REFUND, TRANSFER }

    /** One acknowledged (2xx) request: what it created or changed. For a capture, {@code id} is the payment's. */
    record Ack(Kind kind, String id, String key, long atNanos) {}

    private static final Duration RETRY_FOR = Duration.ofSeconds(120);
    private static final int IN_FLIGHT_MAX = 2_000;
    private static final int SERVER_ERROR_SAMPLES = 5;
    private static final Pattern PROBLEM_CODE = Pattern.compile("\"code\"\\s*:\\s*\"([^\"]+)\"");

    private final Http http;
    private final String merchantKey;
    private final List<String> accounts;
    private final PrintWriter ackLog;
    private final String run = Long.toHexString(System.nanoTime());
    private final AtomicLong sequence = new AtomicLong();
    /** Payments that may be refunded (automatic capture) or captured (manual), with when they were acknowledged. */
    private final ConcurrentLinkedQueue<Ack> refundable = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Ack> capturable = new ConcurrentLinkedQueue<>();

    ChaosLoad(Http http, String merchantKey, List<String> accounts, Path ackLog) throws IOException {
        this.http = http;
        this.merchantKey = merchantKey;
        this.accounts = accounts;
        this.ackLog = new PrintWriter(Files.newBufferedWriter(ackLog, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true);
    }

    /** What one phase of load saw. */
    static final class Phase {
        final String name;
        final List<Ack> acks = new ArrayList<>();
        final LongAdder requests = new LongAdder();
        final LongAdder sends = new LongAdder();
        final LongAdder serverErrors = new LongAdder();
        final LongAdder internalErrors = new LongAdder();
        final LongAdder unavailable = new LongAdder();
        /** 503 {@code overloaded}: admission control refused a write at once (the machine is saturated), whatever the fault. */
        final LongAdder overloaded = new LongAdder();
        final LongAdder connectionErrors = new LongAdder();
        final LongAdder gaveUp = new LongAdder();
        final LongAdder notSent = new LongAdder();
        final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        /** Keys answered 2xx with two different ids: a duplicate. */
        final Set<String> conflictingKeys = ConcurrentHashMap.newKeySet();
        /**
         * 2xx answers that are not about what their request named (a capture answered with another
         * payment, or not captured; a refund of another payment): each is a request and the answer it got.
         */
        final ConcurrentLinkedQueue<String> mismatchedAnswers = new ConcurrentLinkedQueue<>();
        /** Latency of each answer (not of the whole retried request), µs. */
        final Recorder latency = new Recorder(3_600_000_000L, 3);
        /** Latency of the 503 answers, µs: a 503 must come quickly. */
        final Recorder unavailableLatency = new Recorder(3_600_000_000L, 3);
        final AtomicLong firstAckAfter = new AtomicLong(Long.MAX_VALUE);
        volatile long markNanos = Long.MAX_VALUE;
        /** The first few 5xx answers, as {@code status code request (latency)}: what a 5xx was, in the report. */
        final ConcurrentLinkedQueue<String> serverErrorSamples = new ConcurrentLinkedQueue<>();
        private final long startedNanos = System.nanoTime();

        Phase(String name) {
            this.name = name;
        }

        synchronized void ack(Ack ack) {
            acks.add(ack);
        }

        /** From now on, remember the first 2xx answer (the recovery). */
        void mark() {
            firstAckAfter.set(Long.MAX_VALUE);
            markNanos = System.nanoTime();
        }

        /** Keeps one 5xx answer, up to {@link #SERVER_ERROR_SAMPLES}: its status, problem code, request and when. */
        void serverError(Request request, int status, String body, long micros) {
            if (serverErrors.sum() >= SERVER_ERROR_SAMPLES) {
                return;
            }
            Matcher code = PROBLEM_CODE.matcher(body);
            String excerpt = body.length() > 300 ? body.substring(0, 300) + "…" : body;
            serverErrorSamples.add(String.format("%d %s to POST %s (key %s) %.1f s into the phase, answered in %.1f ms: %s", status,
                    code.find() ? code.group(1) : "(no problem code)", request.path(), request.key(),
                    (System.nanoTime() - startedNanos) / 1e9, micros / 1e3, excerpt.replace('\n', ' ').replace('|', '/')));
        }

        List<String> ids(Kind... kinds) {
            Set<Kind> wanted = Set.of(kinds);
            synchronized (this) {
                return acks.stream().filter(a -> wanted.contains(a.kind())).map(Ack::id).distinct().toList();
            }
        }
    }

    /** Runs the mix at {@code perSecond} for {@code duration}; returns once every request has its answer or gave up. */
    void run(Phase phase, double perSecond, Duration duration) {
        long total = (long) (perSecond * duration.toSeconds());
        double intervalNanos = 1e9 / perSecond;
        long started = System.nanoTime();
        AtomicLong inFlight = new AtomicLong();
        for (long i = 0; i < total; i++) {
            long due = started + (long) (i * intervalNanos);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(Math.min(wait, 200_000));
            }
            if (inFlight.get() >= IN_FLIGHT_MAX) {
                phase.notSent.increment();
                continue;
            }
            Request request = next();
            if (request == null) {
                continue;
            }
            phase.requests.increment();
            inFlight.incrementAndGet();
            send(phase, request, System.nanoTime() + RETRY_FOR.toNanos())
                    .doFinally(signal -> inFlight.decrementAndGet())
                    .subscribe(null, error -> phase.gaveUp.increment());
        }
        long deadline = System.nanoTime() + RETRY_FOR.toNanos() + Duration.ofSeconds(30).toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000);
        }
    }

    record Request(Kind kind, String path, String body, String key, Ack of) {}

    private Request next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String key = "chaos-" + run + "-" + sequence.incrementAndGet();
        int pick = random.nextInt(100);
        long now = System.nanoTime();
        if (pick < 10) {
            Ack payment = takeOlderThan(capturable, now);
            if (payment != null) {
                return new Request(Kind.CAPTURE, "/v1/payments/" + payment.id() + "/capture", "{}", key, payment);
            }
        } else if (pick < 20) {
            Ack payment = takeOlderThan(refundable, now);
            if (payment != null) {
                return new Request(Kind.REFUND, "/v1/payments/" + payment.id() + "/refunds", "{\"amount\":10}", key, payment);
            }
        } else if (pick < 30) {
            return new Request(Kind.MANUAL_PAYMENT, "/v1/payments", card(200 + random.nextInt(800), "manual"), key, null);
        } else if (pick < 55) {
            String from = accounts.get(random.nextInt(accounts.size()));
            String to = accounts.get(random.nextInt(accounts.size()));
            while (to.equals(from)) {
                to = accounts.get(random.nextInt(accounts.size()));
            }
            return new Request(Kind.TRANSFER, "/v1/transfers", "{\"from_account\":\"" + from + "\",\"to_account\":\"" + to
                    + "\",\"amount\":" + (1 + random.nextInt(100)) + ",\"currency\":\"USD\"}", key, null);
        }
        return new Request(Kind.PAYMENT, "/v1/payments", card(200 + random.nextInt(800), "automatic"), key, null);
    }

    /** The oldest entry acknowledged at least two seconds ago (its payment has had time to reach its outcome). */
    private static Ack takeOlderThan(ConcurrentLinkedQueue<Ack> queue, long now) {
        Ack head = queue.peek();
        if (head == null || now - head.atNanos() < Duration.ofSeconds(2).toNanos()) {
            return null;
        }
        return queue.poll();
    }

    private static String card(long amount, String captureMethod) {
        return "{\"amount\":" + amount + ",\"currency\":\"USD\",\"capture_method\":\"" + captureMethod + "\",\"source\":{\"type\":\"card\","
                + "\"number\":\"4242424242424242\",\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}";
    }

    /** Sends, and sends again with the same key after a 5xx, a 409 idempotency_key_in_use or a broken connection. */
    private Mono<Void> send(Phase phase, Request request, long deadline) {
        long sent = System.nanoTime();
        phase.sends.increment();
        return http.post(request.path(), merchantKey, request.body(), request.key())
                .timeout(Duration.ofSeconds(30))
                .map(response -> new Answer(response.status(), response.body(), response.position(), response.requestId()))
                .onErrorResume(error -> Mono.just(new Answer(-1, error.toString(), null, null)))
                .flatMap(answer -> {
                    long micros = Math.max(1, (System.nanoTime() - sent) / 1_000);
                    phase.latency.recordValue(micros);
                    if (answer.status() < 0) {
                        phase.connectionErrors.increment();
                    } else {
                        phase.statuses.computeIfAbsent(answer.status(), s -> new LongAdder()).increment();
                    }
                    if (answer.status() >= 500) {
                        phase.serverError(request, answer.status(), answer.body(), micros);
                        phase.serverErrors.increment();
                        if (answer.status() == 500) {
                            phase.internalErrors.increment();
                        }
                        if (answer.status() == 503 && answer.body().contains("\"overloaded\"")) {
                            phase.overloaded.increment();
                        }
                        if (answer.status() == 503 && answer.body().contains("\"unavailable\"")) {
                            phase.unavailable.increment();
                            phase.unavailableLatency.recordValue(micros);
                        }
                    }
                    if (answer.status() >= 200 && answer.status() < 300) {
                        acknowledged(phase, request, answer);
                        return Mono.empty();
                    }
                    boolean retry = answer.status() < 0 || answer.status() >= 500
                            || answer.status() == 409 && answer.body().contains("idempotency_key_in_use");
                    if (!retry) {
                        if (request.kind() == Kind.CAPTURE && answer.body().contains("invalid_state")) {
                            capturable.add(request.of()); // not authorized yet: capture it later
                        }
                        return Mono.empty();
                    }
                    if (System.nanoTime() > deadline) {
                        phase.gaveUp.increment();
                        return Mono.empty();
                    }
                    return Mono.delay(Duration.ofMillis(answer.status() == 503 ? 1_000 : 500)).then(send(phase, request, deadline));
                });
    }

    /** An answer as the load saw it: a status of -1 is a broken connection or a timeout. */
    private record Answer(int status, String body, String position, String requestId) {}

    /**
     * Why a 2xx answer is not about its request, or null when it is: a capture answers its payment,
     * captured; a refund names its payment; a creation answers an object of the kind asked for.
     */
    static String mismatch(Request request, String body) {
        String id;
        try {
            id = Scenarios.id(body);
        } catch (IllegalStateException noId) {
            return "no id in the answer";
        }
        return switch (request.kind()) {
            case CAPTURE -> !id.equals(request.of().id()) ? "the answer is about " + id
                    : body.contains("\"status\":\"succeeded\"") ? null : "the payment is not captured in the answer";
            case REFUND -> !id.startsWith("re_") || !body.contains("\"payment\":\"" + request.of().id() + "\"")
                    ? "not a refund of " + request.of().id() : null;
            case PAYMENT, MANUAL_PAYMENT -> id.startsWith("pay_") ? null : "not a payment";
            case TRANSFER -> id.startsWith("tr_") ? null : "not a transfer";
        };
    }

    private final Map<String, String> idByKey = new ConcurrentHashMap<>();

    private void acknowledged(Phase phase, Request request, Answer answer) {
        String body = answer.body();
        String mismatch = mismatch(request, body);
        if (mismatch != null) {
            // Not counted as acknowledged: the answer says nothing of this request. Reported as a failure.
            String excerpt = body.length() > 300 ? body.substring(0, 300) + "…" : body;
            phase.mismatchedAnswers.add(String.format("%s %s (key %s): %s; answer %d request_id=%s position=%s at %s: %s",
                    request.kind(), request.path(), request.key(), mismatch, answer.status(), answer.requestId(), answer.position(),
                    java.time.Instant.now(), excerpt.replace('\n', ' ').replace('|', '/')));
            return;
        }
        String id = request.kind() == Kind.CAPTURE ? request.of().id() : Scenarios.id(body);
        String earlier = idByKey.putIfAbsent(request.key(), id);
        if (earlier != null && !earlier.equals(id)) {
            phase.conflictingKeys.add(request.key());
        }
        long now = System.nanoTime();
        if (now >= phase.markNanos) {
            phase.firstAckAfter.accumulateAndGet(now, Math::min);
        }
        Ack ack = new Ack(request.kind(), id, request.key(), now);
        phase.ack(ack);
        // With the answer's status, Ledger-Position and Request-Id, and the wall clock: what a lost write
        // was answered with, to be looked for in the log and the service's own lines.
        ackLog.println(phase.name + " " + request.kind() + " " + id + " " + request.key() + " " + request.path() + " "
                + answer.status() + " position=" + answer.position() + " request_id=" + answer.requestId() + " at="
                + java.time.Instant.now());
        switch (request.kind()) {
            case PAYMENT -> refundable.add(ack);
            case MANUAL_PAYMENT -> capturable.add(ack);
            default -> { }
        }
    }

    static long p(Histogram histogram, double percentile) {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile);
    }
}
