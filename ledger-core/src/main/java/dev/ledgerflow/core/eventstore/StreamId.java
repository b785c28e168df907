package dev.ledgerflow.core.eventstore;

import java.util.Objects;

/** The id of one event stream: one aggregate instance, such as {@code pay_…} or {@code acc_…}. */
public record StreamId(String value) {
    public StreamId {
        Objects.requireNonNull(value, "value");
        if (value.isBlank() || value.length() > 200) {
            throw new IllegalArgumentException("stream id must be 1..200 characters: '" + value + "'");
        }
    }

    public static StreamId of(String value) {
        return new StreamId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
