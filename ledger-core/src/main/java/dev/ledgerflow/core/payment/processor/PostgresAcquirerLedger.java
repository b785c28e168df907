package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.payment.domain.FailureCode;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.util.Locale;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The acquirer's ledger in the table {@code acquirer_charges}, shared by every instance: one statement
 * per final answer, which inserts it unless the key has one and returns the answer that stands.
 */
public final class PostgresAcquirerLedger implements AcquirerLedger {

    // The select reads the statement's snapshot, so it never sees the row the insert just made: one row
    // either way. A request racing another for the same key waits for it at the insert and may then
    // see nothing (its snapshot predates the other's commit): asked once more, it sees the winner.
    private static final String RECORD_ONCE = """
            with recorded as (
                insert into acquirer_charges (idempotency_key, payment_id, amount, currency, outcome, failure_code)
                values ($1, $2, $3, $4, $5, $6)
                on conflict (idempotency_key) do nothing
                returning outcome, failure_code)
            select outcome, failure_code, true as first from recorded
            union all
            select outcome, failure_code, false from acquirer_charges where idempotency_key = $1""";

    // Inserted as voided when no answer is there yet (a late approval then finds it); an approval turns
    // voided; a decline stays. xmax is not 0 on a row this statement updated: the approval it voided.
    private static final String VOID_ONCE = """
            insert into acquirer_charges as c (idempotency_key, payment_id, amount, currency, outcome)
            values ($1, $2, $3, $4, 'voided')
            on conflict (idempotency_key) do update set outcome = 'voided', voided_at = now()
                where c.outcome = 'approved'
            returning (xmax <> 0) as voided_approval""";

    private final ConnectionFactory connections;

    /** @param connections a pooled factory on the database that holds {@code acquirer_charges} */
    public PostgresAcquirerLedger(ConnectionFactory connections) {
        this.connections = Objects.requireNonNull(connections, "connections");
    }

    @Override
    public Mono<Recorded> recordOnce(AuthorizationRequest request, AcquirerResponse answer) {
        Mono<Recorded> once = Flux.usingWhen(connections.create(),
                        connection -> Flux.from(bind(connection, request, answer).execute())
                                .concatMap(result -> result.map(PostgresAcquirerLedger::recorded)),
                        Connection::close)
                .next();
        return once.switchIfEmpty(Mono.defer(() -> once))
                .switchIfEmpty(Mono.error(() -> new IllegalStateException(
                        "no answer recorded for " + request.idempotencyKey())));
    }

    @Override
    public Mono<Boolean> voidOnce(AuthorizationRequest request) {
        return Flux.usingWhen(connections.create(),
                        connection -> Flux.from(connection.createStatement(VOID_ONCE)
                                        .bind("$1", request.idempotencyKey())
                                        .bind("$2", request.paymentId())
                                        .bind("$3", request.amount().amountMinor())
                                        .bind("$4", request.amount().currency().code())
                                        .execute())
                                .concatMap(result -> result.map(row -> Boolean.TRUE.equals(row.get("voided_approval", Boolean.class)))),
                        Connection::close)
                .next()
                .defaultIfEmpty(false); // declined: nothing to void
    }

    private static io.r2dbc.spi.Statement bind(Connection connection, AuthorizationRequest request, AcquirerResponse answer) {
        var statement = connection.createStatement(RECORD_ONCE)
                .bind("$1", request.idempotencyKey())
                .bind("$2", request.paymentId())
                .bind("$3", request.amount().amountMinor())
                .bind("$4", request.amount().currency().code());
        return switch (answer) {
            case AcquirerResponse.Approved approved -> statement.bind("$5", "approved").bindNull("$6", String.class);
            case AcquirerResponse.Declined declined -> statement.bind("$5", "declined")
                    .bind("$6", declined.failureCode().name().toLowerCase(Locale.ROOT));
            case AcquirerResponse.TransientError error ->
                    throw new IllegalArgumentException("a transient error is not a final answer");
            case AcquirerResponse.Voided voided ->
                    throw new IllegalArgumentException("a request is voided by voidOnce");
        };
    }

    private static Recorded recorded(Readable row) {
        boolean first = Boolean.TRUE.equals(row.get("first", Boolean.class));
        AcquirerResponse answer = switch (row.get("outcome", String.class)) {
            case "approved" -> new AcquirerResponse.Approved();
            case "voided" -> new AcquirerResponse.Voided();
            default -> new AcquirerResponse.Declined(FailureCode.valueOf(
                    row.get("failure_code", String.class).toUpperCase(Locale.ROOT)));
        };
        return new Recorded(answer, first);
    }
}
