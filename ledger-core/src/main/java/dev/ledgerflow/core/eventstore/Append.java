package dev.ledgerflow.core.eventstore;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one command writes, atomically: its events on one stream at an expected version,
 * the balance changes they imply, accounts they open, and the idempotent response to remember.
 */
public record Append(
        StreamId streamId,
        ExpectedVersion expectedVersion,
        List<NewEvent> events,
        List<BalanceChange> balanceChanges,
        List<AccountOpening> accountOpenings,
        Optional<IdempotencyRecord> idempotency) {

    public Append {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(expectedVersion, "expectedVersion");
        events = List.copyOf(events);
        balanceChanges = List.copyOf(balanceChanges);
        accountOpenings = List.copyOf(accountOpenings);
        Objects.requireNonNull(idempotency, "idempotency");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("an append needs at least one event");
        }
    }

    public static Append events(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        return new Append(streamId, expectedVersion, events, List.of(), List.of(), Optional.empty());
    }

    public Append withBalanceChanges(List<BalanceChange> changes) {
        return new Append(streamId, expectedVersion, events, changes, accountOpenings, idempotency);
    }

    public Append withAccountOpenings(List<AccountOpening> openings) {
        return new Append(streamId, expectedVersion, events, balanceChanges, openings, idempotency);
    }

    public Append withIdempotency(IdempotencyRecord record) {
        return new Append(streamId, expectedVersion, events, balanceChanges, accountOpenings, Optional.of(record));
    }
}
