package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.domain.Vpa;
import java.util.Objects;

/**
 * One authorization to ask of the acquirer.
 *
 * @param paymentId also the acquirer's idempotency key: a retried request never charges twice
 * @param amount amount and currency to authorize
 * @param instrument what to charge: never a card number, only the acquirer's token for it
 */
public record AuthorizationRequest(String paymentId, Money amount, Instrument instrument) {

    public AuthorizationRequest {
        IdChecks.require(paymentId, "pay_");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(instrument, "instrument");
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
