package dev.ledgerflow.gateway.command;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.decider.Rejection;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.AppendResult.IdempotentReplay;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.RequestIds;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Runs a write through the command executor with the API's idempotency rules, and answers it: the
 * response body is rendered once, stored with the events under the {@code Idempotency-Key}, and sent
 * byte for byte, now and on every replay; every write answer carries {@code Ledger-Position}.
 */
@Component
public class Commands {

    public static final String LEDGER_POSITION = "Ledger-Position";
    private static final int KEY_LENGTH_MAX = 255;

    private final CommandExecutor executor;
    private final EventStore store;
    private final InFlightKeys inFlight;
    private final LedgerflowProperties properties;

    Commands(CommandExecutor executor, EventStore store, InFlightKeys inFlight, LedgerflowProperties properties) {
        this.executor = executor;
        this.store = store;
        this.inFlight = inFlight;
        this.properties = properties;
    }

    /**
     * A write to run: the command, how it succeeds, and the request it came from (for the fingerprint).
     *
     * @param storeProblems the problem a rejection of the store's guard answers (the one mapping, unless
     *     the command can say more: which leg of a ledger transaction)
     */
    public record Write<C, S, E, R extends Rejection>(
            CommandRequest<C, S, E, R> command,
            String merchantId,
            Optional<String> idempotencyKey,
            Request request,
            HttpStatus successStatus,
            Function<S, Object> view,
            Function<AppendResult, ApiException> storeProblems) {

        public Write(CommandRequest<C, S, E, R> command, String merchantId, Optional<String> idempotencyKey,
                Request request, HttpStatus successStatus, Function<S, Object> view) {
            this(command, merchantId, idempotencyKey, request, successStatus, view, RejectionProblems::of);
        }
    }

    /** The HTTP request a write came from: what its fingerprint is made of, should it carry an Idempotency-Key. */
    public record Request(String method, String path, Object body) {

        String fingerprintSource() {
            return Commands.fingerprintSource(method, path, body);
        }
    }

    public static Request request(String method, String path, Object body) {
        return new Request(method, path, body);
    }

    public <C, S, E, R extends Rejection> Mono<ResponseEntity<byte[]>> run(Write<C, S, E, R> write) {
        return Mono.deferContextual(context -> run(write, context.<String>getOrEmpty(RequestIds.CONTEXT_KEY)));
    }

    private <C, S, E, R extends Rejection> Mono<ResponseEntity<byte[]>> run(Write<C, S, E, R> write, Optional<String> requestId) {
        CommandRequest<C, S, E, R> answered = requestId.map(write.command()::withRequestId).orElse(write.command())
                .respondWith(accepted -> render(write, accepted));
        if (write.idempotencyKey().isEmpty()) {
            return executor.execute(answered).flatMap(result -> answer(write, result, null));
        }
        String key = write.idempotencyKey().get();
        if (key.isBlank() || key.length() > KEY_LENGTH_MAX) {
            return Mono.error(ApiException.field(ApiError.INVALID_REQUEST, "Idempotency-Key",
                    "Idempotency-Key must be 1 to 255 characters."));
        }
        // Only a keyed request is fingerprinted: without a key there is nothing to compare it with.
        String fingerprint = fingerprint(write.request().fingerprintSource());
        if (!inFlight.tryAcquire(write.merchantId(), key)) {
            return Mono.error(new ApiException(ApiError.IDEMPOTENCY_KEY_IN_USE,
                    "A request with this Idempotency-Key is still being processed; retry shortly."));
        }
        CommandRequest<C, S, E, R> keyed = answered.withIdempotency(Optional.of(new CommandRequest.Idempotency(
                write.merchantId(), key, fingerprint, properties.idempotencyTtl())));
        // The key is free again as soon as the outcome is known (stored with the events when there are
        // any), before the answer goes out: released only after the answer, a client retrying the moment
        // it has its answer could still find the key taken and get 409. Released exactly once, so that a
        // later request holding the same key is never released by this one.
        AtomicBoolean held = new AtomicBoolean(true);
        Runnable release = () -> {
            if (held.compareAndSet(true, false)) {
                inFlight.release(write.merchantId(), key);
            }
        };
        return executor.execute(keyed)
                .doOnEach(signal -> {
                    if (!signal.isOnSubscribe()) {
                        release.run();
                    }
                })
                .doOnCancel(release)
                .flatMap(result -> answer(write, result, fingerprint));
    }

    /**
     * The answer to an accepted write, rendered once: the same text is stored under the key and sent.
     * When the view is the public object of the last event (a payment after its change, a new refund),
     * it is the JSON already written into that event's payload.
     */
    private static <S, E> CommandRequest.Response render(Write<?, S, E, ?> write, CommandRequest.Accepted<S, E> accepted) {
        Object view = write.view().apply(accepted.state());
        String body = view.equals(accepted.lastPublicObject()) ? accepted.lastPublicJson() : json(view);
        return new CommandRequest.Response(write.successStatus().value(), body);
    }

    private <C, S, E, R extends Rejection> Mono<ResponseEntity<byte[]>> answer(
            Write<C, S, E, R> write, CommandResult<S, E, R> result, String fingerprint) {
        return switch (result) {
            case CommandResult.Done<S, E, R> done -> Mono.just(respond(
                    write.successStatus().value(),
                    done.response().map(CommandRequest.Response::body).orElseGet(() -> json(write.view().apply(done.state()))),
                    done.lastPosition()));
            case CommandResult.AlreadyDone<S, E, R> done ->
                    Mono.just(respond(write.successStatus().value(), json(write.view().apply(done.state())), done.lastPosition()));
            case CommandResult.NotFound<S, E, R> notFound -> Mono.error(ApiException.notFound("object"));
            case CommandResult.Replayed<S, E, R> replayed -> Mono.just(replay(replayed.replay(), fingerprint));
            case CommandResult.StoreRejected<S, E, R> rejected -> rejectedUnlessReplay(write, fingerprint,
                    write.storeProblems().apply(rejected.rejection()));
            case CommandResult.Rejected<S, E, R> rejected -> rejectedUnlessReplay(write, fingerprint,
                    RejectionProblems.of((Rejection) rejected.rejection()));
        };
    }

    /**
     * A retried request whose first attempt succeeded may be rejected now (a second capture of a
     * captured payment): if its key holds a stored answer, that answer is the reply.
     */
    private Mono<ResponseEntity<byte[]>> rejectedUnlessReplay(Write<?, ?, ?, ?> write, String fingerprint, ApiException problem) {
        if (fingerprint == null) {
            return Mono.error(problem);
        }
        return store.idempotencyRecord(write.merchantId(), write.idempotencyKey().orElseThrow())
                .flatMap(stored -> stored.isPresent() ? Mono.just(replay(stored.get(), fingerprint)) : Mono.error(problem));
    }

    private static ResponseEntity<byte[]> replay(IdempotentReplay replay, String fingerprint) {
        if (!replay.fingerprint().equals(fingerprint)) {
            throw new ApiException(ApiError.IDEMPOTENCY_KEY_REUSE,
                    "This Idempotency-Key was used with a different request.");
        }
        return respond(replay.responseStatus(), replay.responseBody(), replay.position());
    }

    private static ResponseEntity<byte[]> respond(int status, String body, long position) {
        return ResponseEntity.status(status)
                .contentType(MediaType.APPLICATION_JSON)
                .header(LEDGER_POSITION, Long.toString(position))
                .body(body.getBytes(StandardCharsets.UTF_8));
    }

    /** The API's JSON of a public object. */
    public static String json(Object view) {
        return LedgerJson.mapper().writeValueAsString(view);
    }

    /** A request's fingerprint: method, path and the body's canonical JSON. */
    public static String fingerprintSource(String method, String path, Object body) {
        return method + ' ' + path + '\n' + (body == null ? "" : LedgerJson.mapper().writeValueAsString(body));
    }

    private static String fingerprint(String source) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
