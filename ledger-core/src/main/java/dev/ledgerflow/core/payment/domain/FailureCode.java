package dev.ledgerflow.core.payment.domain;

/** Why the processor failed a payment or a refund; public names are the constants in lower case. */
public enum FailureCode {
    CARD_DECLINED,
    INSUFFICIENT_FUNDS,
    PROCESSING_ERROR,
    TIMEOUT
}
