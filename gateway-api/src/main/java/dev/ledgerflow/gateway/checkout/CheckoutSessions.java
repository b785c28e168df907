package dev.ledgerflow.gateway.checkout;

import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/** Stored checkout sessions, and the compare-and-set that gives a session its next payment attempt. */
@Repository
class CheckoutSessions {

    record Session(String id, String merchantId, long amount, String currency, String description, String successUrl,
            String cancelUrl, List<String> methods, Instant expiresAt, Instant createdAt, Optional<String> paymentId,
            Optional<Instant> paymentClaimedAt) {}

    private static final String COLUMNS = "id, merchant_id, amount, currency, description, success_url, cancel_url, methods,"
            + " expires_at, created_at, payment_id, payment_claimed_at";

    private final ConnectionPool pool;

    CheckoutSessions(ConnectionPool pool) {
        this.pool = pool;
    }

    Mono<Session> insert(Session session) {
        return Sql.update(pool, "insert into checkout_sessions (id, merchant_id, amount, currency, description, success_url,"
                        + " cancel_url, methods, expires_at, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                s -> {
                    s.bind("$1", session.id()).bind("$2", session.merchantId()).bind("$3", session.amount())
                            .bind("$4", session.currency());
                    if (session.description() == null) {
                        s.bindNull("$5", String.class);
                    } else {
                        s.bind("$5", session.description());
                    }
                    return s.bind("$6", session.successUrl()).bind("$7", session.cancelUrl())
                            .bind("$8", session.methods().toArray(String[]::new))
                            .bind("$9", session.expiresAt().atOffset(ZoneOffset.UTC))
                            .bind("$10", session.createdAt().atOffset(ZoneOffset.UTC));
                }).thenReturn(session);
    }

    Mono<Session> find(String id) {
        return Sql.query(pool, "select " + COLUMNS + " from checkout_sessions where id = $1", s -> s.bind("$1", id),
                CheckoutSessions::session).next();
    }

    /**
     * Makes {@code paymentId} the session's payment if its payment is still {@code previous} (none when
     * empty) and it has not expired at {@code now}; false when another request got there first.
     */
    Mono<Boolean> claim(String id, Optional<String> previous, String paymentId, Instant now) {
        return Sql.update(pool, "update checkout_sessions set payment_id = $2, payment_claimed_at = $4"
                        + " where id = $1 and payment_id is not distinct from $3 and expires_at > $4",
                s -> {
                    s.bind("$1", id).bind("$2", paymentId).bind("$4", now.atOffset(ZoneOffset.UTC));
                    return previous.isPresent() ? s.bind("$3", previous.get()) : s.bindNull("$3", String.class);
                })
                .map(changed -> changed == 1);
    }

    private static Session session(Readable row) {
        String[] methods = row.get("methods", String[].class);
        OffsetDateTime claimed = row.get("payment_claimed_at", OffsetDateTime.class);
        return new Session(row.get("id", String.class), row.get("merchant_id", String.class), row.get("amount", Long.class),
                row.get("currency", String.class), row.get("description", String.class), row.get("success_url", String.class),
                row.get("cancel_url", String.class), List.of(methods), row.get("expires_at", OffsetDateTime.class).toInstant(),
                row.get("created_at", OffsetDateTime.class).toInstant(), Optional.ofNullable(row.get("payment_id", String.class)),
                Optional.ofNullable(claimed).map(OffsetDateTime::toInstant));
    }
}
