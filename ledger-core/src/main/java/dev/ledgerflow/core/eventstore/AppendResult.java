package dev.ledgerflow.core.eventstore;

/** What became of one {@link Append}. Rejections are values: nothing of the append was written. */
public sealed interface AppendResult {

    /** Durably committed. Positions are global; the stream is now at {@code streamVersion}. */
    record Appended(long firstPosition, long lastPosition, long streamVersion) implements AppendResult {}

    /** The stream was not at the expected version: reload, decide again. */
    record VersionConflict(long actualVersion) implements AppendResult {}

    /** A guarded account would fall below its overdraft limit. */
    record InsufficientFunds(String accountId) implements AppendResult {}

    /** A balance change names an account that has no balance row. */
    record UnknownAccount(String accountId) implements AppendResult {}

    /** A balance change's currency differs from the account's. */
    record CurrencyMismatch(String accountId) implements AppendResult {}

    /**
     * The idempotency key was already used (and has not expired): nothing was written; here is what
     * was stored for it. The caller compares fingerprints.
     */
    record IdempotentReplay(String fingerprint, int responseStatus, String responseBody, long position)
            implements AppendResult {}
}
