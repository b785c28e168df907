package dev.ledgerflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PgStatementsTest {

    @Test
    void totals_leave_out_the_harness_own_statements_and_the_top_is_by_calls() {
        List<PgStatements.Row> rows = List.of(
                new PgStatements.Row("select * from events where stream_id = $1", 300, 30.0, 900),
                new PgStatements.Row("select pg_stat_statements_reset(0, (select oid from pg_database), 0)", 1, 0.1, 1),
                new PgStatements.Row("insert into events select * from unnest($1)", 100, 50.0, 200),
                new PgStatements.Row("commit", 100, 1.0, 0),
                new PgStatements.Row(null, 7, 0.7, 0));

        PgStatements.Summary summary = PgStatements.summarize(rows, 2.0, 3);

        assertThat(summary.calls()).isEqualTo(507);
        assertThat(summary.execMs()).isEqualTo(81.7, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(summary.distinct()).isEqualTo(4);
        assertThat(summary.callsPer(100)).isEqualTo(5.07);
        assertThat(summary.callsPerSecond()).isEqualTo(253.5);
        // 100 calls each: the one that took longer first
        assertThat(summary.top()).extracting(PgStatements.Row::calls).containsExactly(300L, 100L, 100L);
        assertThat(summary.top().get(1).query()).startsWith("insert");
        assertThat(summary.top().get(0).meanMs()).isEqualTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(summary.callsPer(0)).isZero();
    }

    @Test
    void a_statement_is_shown_on_one_line_and_cut() {
        assertThat(PgStatements.shorten("select a,\n       b\n  from t\n where x = $1", 100)).isEqualTo("select a, b from t where x = $1");
        assertThat(PgStatements.shorten("select 1234567890", 10)).isEqualTo("select 12…").hasSize(10);
        assertThat(PgStatements.shorten(null, 100)).isEqualTo("<insufficient privilege>");
    }
}
