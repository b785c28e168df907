package dev.ledgerflow.core.decider;

import java.util.List;
import java.util.Objects;

/**
 * What a decider answers to one command: the events to append, or the rejection that says why not.
 *
 * <p>An accepted decision with no events means <em>already done</em>: the command repeats an outcome
 * the stream already holds (a processor that ran twice, a second cancel). The shell appends nothing
 * and answers with the current state, exactly as after the first success; it never appends a
 * duplicate.
 *
 * @param <E> the event family
 * @param <R> the rejection values
 */
public sealed interface Decision<E, R extends Rejection> {

    /** Append these events, in order; none means the command was already applied. */
    record Accepted<E, R extends Rejection>(List<E> events) implements Decision<E, R> {
        public Accepted {
            events = List.copyOf(events);
        }

        /** True when the command repeats what the stream already holds and nothing is to be appended. */
        public boolean alreadyDone() {
            return events.isEmpty();
        }
    }

    /** Nothing is appended; the rejection is a business outcome, not an error. */
    record Rejected<E, R extends Rejection>(R rejection) implements Decision<E, R> {
        public Rejected {
            Objects.requireNonNull(rejection, "rejection");
        }
    }

    @SafeVarargs
    static <E, R extends Rejection> Decision<E, R> accepted(E... events) {
        if (events.length == 0) {
            throw new IllegalArgumentException("an accepted decision names its events; use alreadyDone() for none");
        }
        return new Accepted<>(List.of(events));
    }

    static <E, R extends Rejection> Decision<E, R> alreadyDone() {
        return new Accepted<>(List.of());
    }

    static <E, R extends Rejection> Decision<E, R> rejected(R rejection) {
        return new Rejected<>(rejection);
    }
}
