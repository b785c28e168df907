package dev.ledgerflow.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The no-loss checks, straight against the database: every payment answered 2xx exists exactly once,
 * reaches its outcome, and every balance equals the fold of the events' postings, each currency
 * summing to zero.
 */
final class Checks {

    private final String jdbcUrl;

    Checks(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
    }

    /** What one check found; {@code ok} false fails the run. */
    record Outcome(String name, boolean ok, String detail) {}

    Outcome paymentsExistOnce(Collection<String> acknowledged) throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
                "select count(*), count(distinct stream_id) from events where type = 'payment.created' and stream_id = any(?)")) {
            s.setArray(1, c.createArrayOf("text", acknowledged.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                long events = rs.getLong(1);
                long streams = rs.getLong(2);
                boolean ok = events == acknowledged.size() && streams == acknowledged.size();
                return new Outcome("every acknowledged payment exists exactly once", ok,
                        acknowledged.size() + " acknowledged, " + streams + " found, " + events + " payment.created events");
            }
        }
    }

    /** Waits (bounded) until every acknowledged payment has its final event; says how long that took. */
    Outcome paymentsReachOutcome(Collection<String> acknowledged, Duration waitMax) throws SQLException, InterruptedException {
        long started = System.nanoTime();
        long done = countUntil(acknowledged, waitMax, c -> "select count(distinct stream_id) from events"
                + " where type in ('payment.succeeded', 'payment.failed', 'payment.requires_capture') and stream_id = any(?)");
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Outcome("every acknowledged payment reached an outcome", done == acknowledged.size(),
                done + " of " + acknowledged.size() + String.format(" (drained %.1f s after the load ended)", seconds));
    }

    /** Create-only (no payment processor): no acknowledged payment has an event after payment.created. */
    Outcome paymentsStayProcessing(Collection<String> acknowledged) throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
                "select count(*) from events where type <> 'payment.created' and stream_id = any(?)")) {
            s.setArray(1, c.createArrayOf("text", acknowledged.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                long later = rs.getLong(1);
                return new Outcome("create-only: no acknowledged payment moved on from processing (the processor is off)", later == 0,
                        later + " events after payment.created over " + acknowledged.size() + " payments");
            }
        }
    }

    /** Waits (bounded) until the active transaction view shows every acknowledged payment {@code succeeded}. */
    Outcome paymentsProjectedSucceeded(Collection<String> acknowledged, Duration waitMax) throws SQLException, InterruptedException {
        long done = countUntil(acknowledged, waitMax, c -> {
            try (ResultSet rs = c.createStatement().executeQuery(
                    "select generation from projection_generations where projection = 'transactions' and status = 'active'")) {
                rs.next();
                return "select count(*) from transactions_g" + rs.getLong(1) + " where status = 'succeeded' and id = any(?)";
            }
        });
        return new Outcome("the transaction view shows every acknowledged payment succeeded", done == acknowledged.size(),
                done + " of " + acknowledged.size());
    }

    /** A count query over the ids (its one parameter), built afresh on each try. */
    private interface CountQuery {
        String sql(Connection connection) throws SQLException;
    }

    /** Runs the count every 250 ms until it covers all the ids or {@code waitMax} is up; returns the last count. */
    private long countUntil(Collection<String> ids, Duration waitMax, CountQuery query) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + waitMax.toNanos();
        long done = 0;
        while (true) {
            try (Connection c = connect(); PreparedStatement s = c.prepareStatement(query.sql(c))) {
                s.setArray(1, c.createArrayOf("text", ids.toArray()));
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    done = rs.getLong(1);
                }
            }
            if (done == ids.size() || System.nanoTime() > deadline) {
                return done;
            }
            Thread.sleep(250);
        }
    }

    Outcome booksBalance() throws SQLException {
        List<String> problems = new ArrayList<>();
        try (Connection c = connect()) {
            try (ResultSet rs = c.createStatement().executeQuery(
                    "select currency, sum(posted) from account_balances group by currency having sum(posted) <> 0")) {
                while (rs.next()) {
                    problems.add(rs.getString(1) + " sums to " + rs.getLong(2));
                }
            }
            try (ResultSet rs = c.createStatement().executeQuery("""
                    with folded as (
                        select p ->> 'account_id' as account_id,
                               sum((p ->> 'posted_delta_minor')::bigint) as posted,
                               sum((p ->> 'pending_delta_minor')::bigint) as pending
                          from events e, jsonb_array_elements(coalesce(e.payload -> 'event' -> 'postings', '[]'::jsonb)) p
                         group by 1)
                    select coalesce(f.account_id, b.account_id), coalesce(f.posted, 0), coalesce(b.posted, 0),
                           coalesce(f.pending, 0), coalesce(b.pending, 0)
                      from folded f full join account_balances b on b.account_id = f.account_id
                     where coalesce(f.posted, 0) <> coalesce(b.posted, 0) or coalesce(f.pending, 0) <> coalesce(b.pending, 0)
                     limit 10""")) {
                while (rs.next()) {
                    problems.add(rs.getString(1) + ": fold " + rs.getLong(2) + "/" + rs.getLong(4) + " vs balance "
                            + rs.getLong(3) + "/" + rs.getLong(5));
                }
            }
        }
        return new Outcome("balances equal the fold of the events, each currency sums to zero", problems.isEmpty(),
                problems.isEmpty() ? "ok" : String.join("; ", problems));
    }

    String setting(String name) throws SQLException {
        try (Connection c = connect(); ResultSet rs = c.createStatement().executeQuery("show " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The simulated acquirer's own book (its PostgreSQL table): one approved charge per acknowledged payment, no more. */
    Outcome chargedOnce(Collection<String> acknowledged) throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
                "select count(*), count(distinct payment_id) from acquirer_charges where outcome = 'approved' and payment_id = any(?)")) {
            s.setArray(1, c.createArrayOf("text", acknowledged.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                long charges = rs.getLong(1);
                long payments = rs.getLong(2);
                return new Outcome("the acquirer charged every acknowledged payment exactly once (acquirer_charges)",
                        charges == acknowledged.size() && payments == acknowledged.size(),
                        acknowledged.size() + " payments, " + charges + " charges of " + payments + " payments");
            }
        }
    }

    long count(String sql) throws SQLException {
        try (Connection c = connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl);
    }

}
