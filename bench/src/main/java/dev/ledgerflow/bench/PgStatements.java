package dev.ledgerflow.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The SQL statements the service ran, from {@code pg_stat_statements} of its database: reset before
 * each measured run, read right after it. The embedded PostgreSQL preloads the module with {@code
 * track=top} (statements as the client sent them, not the ones inside functions and triggers); on a
 * PostgreSQL without it the harness says so and measures without. One reset and one read of at most
 * {@code pg_stat_statements.max} rows per run, on a session of their own, and left out of the counts.
 */
final class PgStatements {

    /** Statements shown per run, by calls. */
    static final int TOP = 12;

    /** One normalised statement: its text, how often it ran, its execution time in all, the rows it returned or touched. */
    record Row(String query, long calls, double totalMs, long rows) {
        double meanMs() {
            return calls == 0 ? 0 : totalMs / calls;
        }
    }

    /** What ran in a run of {@code seconds}: every statement's calls and execution time in all, and the top ones by calls. */
    record Summary(long calls, double execMs, int distinct, double seconds, List<Row> top) {
        double callsPer(long requests) {
            return requests == 0 ? 0 : (double) calls / requests;
        }

        double execMsPer(long requests) {
            return requests == 0 ? 0 : execMs / requests;
        }

        double callsPerSecond() {
            return seconds <= 0 ? 0 : calls / seconds;
        }
    }

    private final Checks checks;
    /** One session for resets and reads, kept open: a new one would count its own set-up statements in the run. */
    private Connection connection;

    private PgStatements(Checks checks) {
        this.checks = checks;
    }

    private synchronized Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = checks.connect();
        }
        return connection;
    }

    /** The statements of the checks' database, or why they cannot be read (no extension, not preloaded, no permission). */
    static Result open(Checks checks) {
        try (Connection c = checks.connect(); Statement s = c.createStatement()) {
            s.execute("create extension if not exists pg_stat_statements");
            try (ResultSet rs = s.executeQuery("show pg_stat_statements.track")) {
                rs.next();
                PgStatements statements = new PgStatements(checks);
                statements.reset();
                statements.read(1); // fails when the module is not preloaded, though the extension exists
                return new Result(Optional.of(statements), "pg_stat_statements.track=" + rs.getString(1));
            }
        } catch (SQLException e) {
            return new Result(Optional.empty(), "pg_stat_statements is not available in the service's PostgreSQL ("
                    + e.getMessage().lines().findFirst().orElse("") + "): no statement counts in this report");
        }
    }

    record Result(Optional<PgStatements> statements, String description) {}

    /** Forgets what the service's database ran so far (this database's entries only). */
    void reset() throws SQLException {
        try (Statement s = connection().createStatement()) {
            s.execute("select pg_stat_statements_reset(0, (select oid from pg_database where datname = current_database()), 0)");
        }
    }

    /** What the service's database ran since the last reset, over {@code seconds}. */
    Summary read(double seconds) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (Statement s = connection().createStatement(); ResultSet rs = s.executeQuery("""
                select query, calls, total_exec_time, rows from pg_stat_statements
                 where dbid = (select oid from pg_database where datname = current_database())""")) {
            while (rs.next()) {
                rows.add(new Row(rs.getString(1), rs.getLong(2), rs.getDouble(3), rs.getLong(4)));
            }
        }
        return summarize(rows, seconds, TOP);
    }

    /** Totals over every statement but the harness's own (those that read or reset pg_stat_statements), and the top by calls. */
    static Summary summarize(List<Row> rows, double seconds, int top) {
        List<Row> service = rows.stream().filter(r -> r.query() == null || !r.query().contains("pg_stat_statements")).toList();
        long calls = service.stream().mapToLong(Row::calls).sum();
        double execMs = service.stream().mapToDouble(Row::totalMs).sum();
        List<Row> topRows = service.stream()
                .sorted(Comparator.comparingLong(Row::calls).reversed().thenComparing(Comparator.comparingDouble(Row::totalMs).reversed()))
                .limit(top)
                .toList();
        return new Summary(calls, execMs, service.size(), seconds, topRows);
    }

    /** A statement on one line: whitespace collapsed, cut to {@code max} characters. */
    static String shorten(String query, int max) {
        String line = query == null ? "<insufficient privilege>" : query.replaceAll("\\s+", " ").strip();
        return line.length() <= max ? line : line.substring(0, max - 1) + "…";
    }
}
