package dev.ledgerflow.core.payment.domain;

/** A card network, told from the number's leading digits; public names in lower case. */
public enum CardBrand {
    VISA,
    MASTERCARD,
    AMEX,
    DISCOVER,
    UNKNOWN
}
