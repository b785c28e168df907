package dev.ledgerflow.gateway.logchain;

import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.QueryParameters;
import dev.ledgerflow.projections.logchain.LogChain;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.Optional;
import java.util.Set;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The tamper-evident log: {@code GET /admin/log/verify} walks the hash chain and names the first break;
 * {@code POST /admin/log/checkpoints} publishes a signed checkpoint now; {@code GET /v1/log/public-key}
 * (merchant key) and {@code GET /admin/log/public-key} give the public key checkpoints are signed with.
 */
@RestController
@Tag(name = "Tamper-evident log")
class LogChainController {

    /** The most events one verification recomputes: a longer range is walked page by page ({@code next_from}). */
    static final int VERIFY_LIMIT_MAX = 10_000;

    private static final Set<String> PARAMETERS = Set.of("from", "to", "limit");

    private final LogChain chain;
    private final LogCheckpoints checkpoints;

    LogChainController(LogChain chain, LogCheckpoints checkpoints) {
        this.chain = chain;
        this.checkpoints = checkpoints;
    }

    /**
     * The result of one walk.
     *
     * @param from the first position asked for
     * @param to the last position asked for (the head's when not given)
     * @param checked events recomputed
     * @param lastPosition the last event checked (null when none)
     * @param lastHash its hash: the chain's value there, to compare with a checkpoint of that position
     * @param nextFrom where to go on when the range was longer than one walk (null when done)
     * @param firstBreak the first broken link (null when ok)
     * @param head the chain's head now
     */
    record VerifyView(boolean ok, long from, long to, long checked, Long lastPosition, String lastHash, Long nextFrom,
            LogChain.Break firstBreak, LogChain.Head head) {}

    record CheckpointView(boolean published, LogCheckpoint checkpoint) {}

    record PublicKeyView(String algorithm, String publicKey, String format) {}

    @GetMapping(path = "/admin/log/verify", produces = "application/json")
    Mono<VerifyView> verify(Caller.Admin admin, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to, @RequestParam(required = false) String limit,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query) {
        QueryParameters.onlyKnown(query, PARAMETERS);
        long fromPosition = QueryParameters.position(from, "from").orElse(1L);
        Optional<Long> toPosition = QueryParameters.position(to, "to");
        int pageSize = QueryParameters.limit(limit == null ? Integer.toString(VERIFY_LIMIT_MAX) : limit, VERIFY_LIMIT_MAX);
        if (fromPosition < 1) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "from", "from must be a position of 1 or more.");
        }
        if (toPosition.isPresent() && toPosition.get() < fromPosition) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "to", "to must not be below from.");
        }
        Mono<Long> upTo = toPosition.map(Mono::just).orElseGet(() -> chain.head().map(LogChain.Head::position));
        return upTo.flatMap(last -> chain.verify(fromPosition, last, pageSize))
                .map(walk -> new VerifyView(walk.ok(), walk.from(), walk.to(), walk.checked(), walk.lastPosition(),
                        walk.lastHash(), walk.complete() || !walk.ok() ? null : walk.lastPosition() + 1, walk.firstBreak(),
                        walk.head()));
    }

    @PostMapping(path = "/admin/log/checkpoints", produces = "application/json")
    Mono<CheckpointView> checkpoint(Caller.Admin admin) {
        return checkpoints.publish().map(published -> new CheckpointView(published.isPresent(), published.orElse(null)));
    }

    @GetMapping(path = "/v1/log/public-key", produces = "application/json")
    PublicKeyView publicKey(Caller.Merchant merchant) {
        return publicKey();
    }

    @GetMapping(path = "/admin/log/public-key", produces = "application/json")
    PublicKeyView publicKey(Caller.Admin admin) {
        return publicKey();
    }

    private PublicKeyView publicKey() {
        return new PublicKeyView(LogSigningKey.ALGORITHM, checkpoints.publicKeyBase64(), "x509-spki-der-base64");
    }
}
