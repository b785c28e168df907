package dev.ledgerflow.core.decider;

/**
 * A pure aggregate: a start state, a decision per command, and a fold of events into state.
 *
 * <p>The shell loads a stream, folds it with {@link #evolve}, calls {@link #decide} and appends the
 * accepted events at the version it loaded. Implementations are stateless, deterministic and free of
 * clocks, randomness and I/O: ids and times arrive on the command.
 *
 * @param <C> the command family
 * @param <S> the state
 * @param <E> the event family
 * @param <R> the rejection values
 */
public interface Decider<C, S, E, R extends Rejection> {

    /** The state of a stream that has no events yet. */
    S initialState();

    /** The events a command produces in this state, or why it is rejected; never throws for business outcomes. */
    Decision<E, R> decide(C command, S state);

    /** The state after one more event; throws {@link IllegalStateException} if the event cannot follow this state. */
    S evolve(S state, E event);

    /** Folds a whole stream, oldest first, from {@link #initialState()}: a shorthand, not a fourth rule. */
    default S fold(Iterable<? extends E> events) {
        S state = initialState();
        for (E event : events) {
            state = evolve(state, event);
        }
        return state;
    }
}
