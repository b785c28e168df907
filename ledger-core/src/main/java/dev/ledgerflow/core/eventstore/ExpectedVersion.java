package dev.ledgerflow.core.eventstore;

/**
 * What the writer believes the stream's version to be. A stream's version is the version of its
 * last event; the first event of a stream has version 1.
 */
public sealed interface ExpectedVersion {

    /** The stream must not exist yet. */
    record NoStream() implements ExpectedVersion {}

    /** The stream's last event must have exactly this version. */
    record Exactly(long version) implements ExpectedVersion {
        public Exactly {
            if (version < 1) {
                throw new IllegalArgumentException("an existing stream has version >= 1, got " + version);
            }
        }
    }

    /** No check: append after whatever is there. */
    record Any() implements ExpectedVersion {}

    static ExpectedVersion noStream() {
        return new NoStream();
    }

    static ExpectedVersion exactly(long version) {
        return version == 0 ? new NoStream() : new Exactly(version);
    }

    static ExpectedVersion any() {
        return new Any();
    }

    /** The wire encoding used by the append function: -1 no stream, -2 any, else the version. */
    default long encoded() {
        return switch (this) {
            case NoStream n -> -1;
            case Any a -> -2;
            case Exactly e -> e.version();
        };
    }
}
