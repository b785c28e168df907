package dev.ledgerflow.core.payment.domain;

/** Where a payment's dispute (chargeback) stands: open until the card network decides, then won or lost. */
public enum DisputeStatus {
    OPEN,
    WON,
    LOST
}
