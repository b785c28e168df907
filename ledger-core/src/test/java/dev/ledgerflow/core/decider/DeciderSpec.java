package dev.ledgerflow.core.decider;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.decider.Decision.Accepted;
import dev.ledgerflow.core.decider.Decision.Rejected;
import java.util.ArrayList;
import java.util.List;

/**
 * Given past events, when a command, then events or a rejection: the shape of every decider test.
 *
 * <p>Accepted events are also folded into the state, so each specification proves that {@code evolve}
 * takes what {@code decide} gives.
 */
public final class DeciderSpec<C, S, E, R extends Rejection> {

    private final Decider<C, S, E, R> decider;
    private final List<E> history;

    private DeciderSpec(Decider<C, S, E, R> decider, List<E> history) {
        this.decider = decider;
        this.history = List.copyOf(history);
    }

    public static <C, S, E, R extends Rejection> DeciderSpec<C, S, E, R> of(Decider<C, S, E, R> decider) {
        return new DeciderSpec<>(decider, List.of());
    }

    /** The same decider with these events in the past, after any given before. */
    @SafeVarargs
    public final DeciderSpec<C, S, E, R> given(E... events) {
        List<E> next = new ArrayList<>(history);
        next.addAll(List.of(events));
        return new DeciderSpec<>(decider, next);
    }

    /** The state the past events fold into. */
    public S state() {
        return decider.fold(history);
    }

    public Then when(C command) {
        return new Then(decider.decide(command, state()));
    }

    /** What the decider answered. */
    public final class Then {
        private final Decision<E, R> decision;

        private Then(Decision<E, R> decision) {
            this.decision = decision;
        }

        /** Asserts exactly these events, in order, and returns the state after them. */
        @SafeVarargs
        public final S then(E... expected) {
            assertThat(events()).containsExactly(expected);
            return stateAfter();
        }

        public void thenRejected(R expected) {
            assertThat(decision).isEqualTo(new Rejected<E, R>(expected));
        }

        public void thenAlreadyDone() {
            assertThat(decision).isInstanceOfSatisfying(Accepted.class, a -> assertThat(a.alreadyDone()).isTrue());
        }

        /** The accepted events, failing when the command was rejected or already done. */
        public List<E> events() {
            assertThat(decision).isInstanceOf(Accepted.class);
            List<E> events = ((Accepted<E, R>) decision).events();
            assertThat(events).as("events of an accepted decision").isNotEmpty();
            return events;
        }

        /** The state after the accepted events. */
        public S stateAfter() {
            S state = state();
            for (E event : events()) {
                state = decider.evolve(state, event);
            }
            return state;
        }
    }
}
