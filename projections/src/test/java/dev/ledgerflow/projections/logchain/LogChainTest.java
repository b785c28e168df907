package dev.ledgerflow.projections.logchain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.projections.testing.TestLedger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * The log's hash chain (migration V40) on a real PostgreSQL: written by the group commit's append,
 * walked and recomputed by {@link LogChain#verify}; an edit made in the database behind the
 * service's back is found at exactly the event edited.
 */
class LogChainTest {

    TestLedger ledger;
    LogChain chain;

    @BeforeEach
    void start() {
        ledger = new TestLedger();
        chain = new LogChain(ledger.pool);
    }

    @AfterEach
    void stop() {
        ledger.close();
    }

    @Test
    void an_empty_log_verifies_with_the_genesis_head() {
        LogChain.Verification walk = chain.verify(1, 0, 100).block(TestLedger.WAIT);

        assertThat(walk.ok()).isTrue();
        assertThat(walk.checked()).isZero();
        assertThat(walk.head()).isEqualTo(new LogChain.Head(0, LogChain.GENESIS_HASH));
    }

    @Test
    void every_appended_event_carries_a_hash_chained_on_the_one_before_it() {
        appendEvents(10);

        LogChain.Verification walk = chain.verify(1, Long.MAX_VALUE, 100).block(TestLedger.WAIT);

        assertThat(walk.ok()).as("%s", walk).isTrue();
        assertThat(walk.checked()).isEqualTo(20);
        assertThat(walk.head().position()).isEqualTo(walk.lastPosition());
        assertThat(walk.head().hash()).isEqualTo(walk.lastHash());
        // hash = sha256(previous hash || canonical bytes), the first on 32 zero bytes, in SQL as documented.
        List<Map<String, Object>> mismatches = ledger.rows("select position from events e where e.hash is distinct from"
                + " sha256(coalesce((select p.hash from events p where p.position < e.position order by p.position desc limit 1),"
                + " '\\x" + LogChain.GENESIS_HASH + "'::bytea) || convert_to(jsonb_build_array(e.position, e.stream_id,"
                + " e.stream_version, e.event_id, e.type, e.payload, e.metadata,"
                + " (extract(epoch from e.recorded_at) * 1000000)::bigint)::text, 'UTF8'))");
        assertThat(mismatches).isEmpty();
    }

    @Nested
    class AnEditInTheDatabase {

        @Test
        void of_one_payload_is_reported_at_exactly_that_event() {
            appendEvents(10);
            Map<String, Object> edited = ledger.rows("select position, stream_id from events order by position offset 7 limit 1").get(0);
            long position = (Long) edited.get("position");
            ledger.execute("update events set payload = jsonb_set(payload, '{data,amount}', '999999') where position = " + position);

            LogChain.Verification walk = chain.verify(1, Long.MAX_VALUE, 100).block(TestLedger.WAIT);

            assertThat(walk.ok()).isFalse();
            assertThat(walk.firstBreak().reason()).isEqualTo("hash_mismatch");
            assertThat(walk.firstBreak().position()).isEqualTo(position);
            assertThat(walk.firstBreak().streamId()).isEqualTo(edited.get("stream_id"));
            assertThat(walk.firstBreak().expected()).isNotEqualTo(walk.firstBreak().found());
            // Only that event: the walk before it and after it holds.
            assertThat(chain.verify(1, position - 1, 100).block(TestLedger.WAIT).ok()).isTrue();
            assertThat(chain.verify(position + 1, Long.MAX_VALUE, 100).block(TestLedger.WAIT).ok()).isTrue();
        }

        @Test
        void that_deletes_an_event_is_reported_at_the_event_after_it() {
            appendEvents(5);
            ledger.execute("delete from events where position = 4");

            LogChain.Verification walk = chain.verify(1, Long.MAX_VALUE, 100).block(TestLedger.WAIT);

            assertThat(walk.firstBreak().position()).isEqualTo(5);
        }

        @Test
        void that_deletes_the_last_events_is_reported_against_the_head() {
            appendEvents(5);
            ledger.execute("delete from events where position >= 9");

            LogChain.Verification walk = chain.verify(1, Long.MAX_VALUE, 100).block(TestLedger.WAIT);

            assertThat(walk.firstBreak().reason()).isEqualTo("head_mismatch");
            assertThat(walk.firstBreak().position()).isEqualTo(10);
        }
    }

    @Test
    void a_long_range_is_walked_page_by_page() {
        appendEvents(10);

        LogChain.Verification first = chain.verify(1, 20, 8).block(TestLedger.WAIT);
        LogChain.Verification rest = chain.verify(first.lastPosition() + 1, 20, 8).block(TestLedger.WAIT);
        LogChain.Verification last = chain.verify(rest.lastPosition() + 1, 20, 8).block(TestLedger.WAIT);

        assertThat(List.of(first.checked(), rest.checked(), last.checked())).containsExactly(8L, 8L, 4L);
        assertThat(List.of(first.complete(), rest.complete(), last.complete())).containsExactly(false, false, true);
        assertThat(List.of(first.ok(), rest.ok(), last.ok())).containsOnly(true);
        assertThat(last.lastHash()).isEqualTo(last.head().hash());
    }

    @Test
    void many_concurrent_group_commits_of_two_instances_keep_one_unbroken_chain_in_position_order() {
        // A second store on the same database, as another instance, each with several batches in flight.
        var settings = new PostgresEventStore.Settings(20, 4, 5_000, 500, 20_000, Duration.ofSeconds(5), Duration.ofMillis(20));
        try (var one = new PostgresEventStore(ledger.pool, PostgresConnections.direct(ledger.settings, "chain-one"), settings,
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
                var two = new PostgresEventStore(ledger.pool, PostgresConnections.direct(ledger.settings, "chain-two"), settings,
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            List<AppendResult> results = Flux.range(0, 600)
                    .parallel(32).runOn(Schedulers.boundedElastic())
                    .flatMap(n -> (n % 2 == 0 ? one : two).append(StreamId.of("str_" + n % 150),
                            ExpectedVersion.any(), List.of(event(n, 0), event(n, 1))))
                    .sequential()
                    .collectList()
                    .block(Duration.ofMinutes(2));
            assertThat(results).hasSize(600).allMatch(AppendResult.Appended.class::isInstance);
        }

        LogChain.Verification walk = chain.verify(1, Long.MAX_VALUE, 10_000).block(TestLedger.WAIT);

        assertThat(walk.ok()).as("%s", walk).isTrue();
        assertThat(walk.checked()).isEqualTo(1_200);
        assertThat(walk.head().position()).isEqualTo(walk.lastPosition());
        assertThat(walk.head().hash()).isEqualTo(walk.lastHash());
    }

    private void appendEvents(int streams) {
        IntStream.range(0, streams).forEach(n -> assertThat(ledger.store.append(StreamId.of("str_" + n),
                        ExpectedVersion.noStream(), List.of(event(n, 0), event(n, 1))).block(TestLedger.WAIT))
                .isInstanceOf(AppendResult.Appended.class));
    }

    private static NewEvent event(int n, int i) {
        return new NewEvent(UUID.randomUUID(), "deposit.posted",
                "{\"event\":{},\"data\":{\"amount\":" + (100 + n) + ",\"i\":" + i + ",\"note\":\"caf\\u00e9 \\\"q\\\"\"}}",
                "{\"merchant\":\"mer_" + n % 3 + "\"}");
    }
}
