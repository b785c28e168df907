package dev.ledgerflow.gateway.auth;

/** Who is calling, as proven by the API key. */
public sealed interface Caller {

    /** The holder of the admin key. */
    record Admin() implements Caller {}

    /** A merchant: sees only its own objects. */
    record Merchant(String merchantId) implements Caller {}
}
