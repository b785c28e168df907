package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.domain.Vpa;
import java.util.Objects;

/**
 * One authorization to ask of the acquirer.
 *
 * @param paymentId the payment to authorize; with the attempt, it makes the request's {@link #idempotencyKey()}
 * @param amount amount and currency to authorize
 * @param instrument what to charge: never a card number, only the acquirer's token for it
 */
public record AuthorizationRequest(String paymentId, Money amount, Instrument instrument) {

    public AuthorizationRequest {
        IdChecks.require(paymentId, "pay_");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(instrument, "instrument");
    }

    /**
     * The key the acquirer de-duplicates on (as Stripe's {@code Idempotency-Key}): derived from the
     * payment and its authorization attempt, so every retry of it (after a timeout, a crash, or by
     * another instance) is the same request and never a second charge. A payment is authorized at
     * most once, so its attempt is always the first.
     */
    public String idempotencyKey() {
        return paymentId + ":authorization:1";
    }

    /** The external payment method, as the acquirer knows it. */
    public sealed interface Instrument {

        /** A card, by the token {@link Acquirer#tokenize} gave for its number. */
        record CardToken(String token) implements Instrument {
            public CardToken {
                if (token == null || token.isBlank()) {
                    throw new IllegalArgumentException("card without an acquirer token");
                }
            }
        }

        /** A UPI handle ({@code name@bank}). */
        record UpiHandle(String vpa) implements Instrument {
            public UpiHandle {
                if (!Vpa.isValid(vpa)) {
                    throw new IllegalArgumentException("not a UPI handle: '" + vpa + "'");
                }
            }
        }
    }
}
