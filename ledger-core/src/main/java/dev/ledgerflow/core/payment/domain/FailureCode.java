package dev.ledgerflow.core.payment.domain;

/** Why the processor failed a payment or a refund; public names are the constants in lower case. */
public enum FailureCode {
    CARD_DECLINED,
    INSUFFICIENT_FUNDS,
    PROCESSING_ERROR,
    TIMEOUT,
    /** A refund the card's issuer refused: the card was closed or has expired since the payment. */
    EXPIRED_OR_CANCELED_CARD
}
