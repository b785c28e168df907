package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.payment.domain.DisputeStatus;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * The port to the card and UPI acquirer: authorizes payments, refunds them, and exchanges card
 * numbers for tokens.
 *
 * <p>{@link #authorize} is idempotent by {@link AuthorizationRequest#idempotencyKey()}: a retried request (after a timeout, a crash, a
 * restart of the processor or another instance) answers the first outcome again and never charges twice. Timeouts are
 * the caller's concern: an answer may never come.
 */
public interface Acquirer {

    /** Asks the acquirer to authorize a payment; errors or never answers when the acquirer does. */
    Mono<AcquirerResponse> authorize(AuthorizationRequest request);

    /**
     * Gives a request up for good, by its key: an approval it got (perhaps after the caller stopped
     * waiting) is voided, so no money stays reserved, and one still on its way is refused; from then on
     * the request answers {@link AcquirerResponse.Voided}. Idempotent. Completes once the acquirer has
     * recorded it; errors when it could not be reached (then ask again: the outcome is still unknown).
     *
     * @return whether an approval was voided
     */
    Mono<Boolean> voidAuthorization(AuthorizationRequest request);

    /**
     * Asks the acquirer to give (part of) a payment's charge back; idempotent by refund id. It may
     * decline ({@link AcquirerResponse.Declined}), answer late, or fail transiently.
     */
    Mono<AcquirerResponse> refund(RefundRequest request);

    /**
     * Whether the customer will dispute a captured payment made with this card token, and how the
     * dispute ends ({@code WON} or {@code LOST}): a real acquirer notifies disputes as they come; the
     * simulated one plans them by test number. Pure and synchronous; empty for most cards.
     */
    default Optional<DisputeStatus> plannedDispute(String acquirerToken) {
        return Optional.empty();
    }

    /**
     * The acquirer's token for a card number, which payments keep instead of the number. Pure and
     * synchronous: the HTTP layer calls it while creating a payment, after checking the number.
     *
     * @throws IllegalArgumentException if {@code cardNumber} is not a valid card number
     */
    String tokenize(String cardNumber);
}
