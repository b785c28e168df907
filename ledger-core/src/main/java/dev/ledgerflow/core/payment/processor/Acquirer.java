package dev.ledgerflow.core.payment.processor;

import reactor.core.publisher.Mono;

/**
 * The port to the card and UPI acquirer: authorizes payments, refunds them, and exchanges card
 * numbers for tokens.
 *
 * <p>{@link #authorize} is idempotent by payment id: a retried request (after a timeout, a crash or a
 * restart of the processor) answers the first outcome again and never charges twice. Timeouts are
 * the caller's concern: an answer may never come.
 */
public interface Acquirer {

    /** Asks the acquirer to authorize a payment; errors or never answers when the acquirer does. */
    Mono<AcquirerResponse> authorize(AuthorizationRequest request);

    /**
     * Asks the acquirer to give (part of) a payment's charge back; idempotent by refund id. It may
     * decline ({@link AcquirerResponse.Declined}), answer late, or fail transiently.
     */
    Mono<AcquirerResponse> refund(RefundRequest request);

    /**
     * The acquirer's token for a card number, which payments keep instead of the number. Pure and
     * synchronous: the HTTP layer calls it while creating a payment, after checking the number.
     *
     * @throws IllegalArgumentException if {@code cardNumber} is not a valid card number
     */
    String tokenize(String cardNumber);
}
