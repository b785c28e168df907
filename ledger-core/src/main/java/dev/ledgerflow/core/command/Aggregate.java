package dev.ledgerflow.core.command;

import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Rejection;
import dev.ledgerflow.core.eventstore.AccountOpening;
import dev.ledgerflow.core.eventstore.BalanceChange;
import dev.ledgerflow.core.posting.domain.HasPostings;
import java.util.List;

/**
 * What the shell needs to run one kind of aggregate: its pure decider, how its events are stored,
 * the public object each event shows, and the balance rows its events open and change.
 */
public interface Aggregate<C, S, E, R extends Rejection> {

    Decider<C, S, E, R> decider();

    EventCodec<E> codec();

    /** The public object after this event, in the state it led to (a payment, a refund, …). */
    Object publicObject(S stateAfter, E event);

    /** The inline balance changes of an event: its postings. */
    default List<BalanceChange> balanceChanges(E event) {
        if (!(event instanceof HasPostings moving)) {
            return List.of();
        }
        return moving.postings().stream()
                .map(p -> new BalanceChange(p.accountId(), p.currency().code(), p.postedDeltaMinor(),
                        p.pendingDeltaMinor(), p.systemAccount()))
                .toList();
    }

    /** Balance rows this event creates. */
    default List<AccountOpening> accountOpenings(E event) {
        return List.of();
    }
}
