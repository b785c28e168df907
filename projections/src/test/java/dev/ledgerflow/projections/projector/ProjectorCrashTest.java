package dev.ledgerflow.projections.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.projections.ReadModels;
import dev.ledgerflow.projections.testing.FoldAssertions;
import dev.ledgerflow.projections.testing.LedgerFold;
import dev.ledgerflow.projections.testing.ProjectionFixture;
import dev.ledgerflow.projections.testing.RandomWorkload;
import dev.ledgerflow.projections.testing.TestLedger;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A projector that dies after writing a page's rows and checkpoint but before committing them loses
 * the whole page, and applies it again exactly once when it resumes: sums and running balances, which
 * a double application would visibly change, end equal to a fold of the log.
 */
class ProjectorCrashTest {

    @Test
    void a_projector_killed_between_applying_a_page_and_committing_it_resumes_without_applying_any_event_twice() {
        try (TestLedger ledger = new TestLedger()) {
            new RandomWorkload(ledger.commands, 11).run(150);
            // The first instance hangs inside the commit of its second page of each projection...
            AtomicReference<Map<String, Integer>> hungBackends = new AtomicReference<>(new ConcurrentHashMap<>());
            Map<String, AtomicInteger> pages = new ConcurrentHashMap<>();
            PageHook hangOnSecondPage = (projection, generation, connection, page) -> {
                if (pages.computeIfAbsent(projection, p -> new AtomicInteger()).incrementAndGet() != 2) {
                    return Mono.empty();
                }
                return Flux.from(connection.createStatement("select pg_backend_pid() as pid").execute())
                        .flatMap(result -> result.map(row -> row.get("pid", Integer.class)))
                        .next()
                        .doOnNext(pid -> hungBackends.get().put(projection, pid))
                        .then(Mono.never());
            };
            ProjectionFixture first = new ProjectionFixture(ledger, ProjectorSettings.defaults().withPageSizes(10, 10),
                    hangOnSecondPage).start();
            // Every projection hangs on its second page; waiting for "three" read one moment of four hanging.
            int projections = ReadModels.all().size();
            await().atMost(Duration.ofSeconds(30)).until(() -> hungBackends.get().size() == projections);
            var beforeCrash = ledger.rows("select projection, events_applied from projection_checkpoints order by projection");

            // ... and dies there: its database sessions are cut and the process is gone.
            hungBackends.get().values().forEach(pid -> ledger.rows("select pg_terminate_backend(" + pid + ")"));
            first.close();
            assertThat(ledger.rows("select projection, events_applied from projection_checkpoints order by projection"))
                    .as("nothing of the hung pages was committed").isEqualTo(beforeCrash);
            assertThat(beforeCrash).allSatisfy(row -> assertThat(row.get("events_applied")).isEqualTo(10L));

            // A new instance resumes from the committed checkpoints while more events arrive.
            ProjectionFixture second = new ProjectionFixture(ledger, ProjectorSettings.defaults().withPageSizes(10, 10)).start();
            try {
                new RandomWorkload(ledger.commands, 12).run(60);
                second.awaitCaughtUp();
                assertExactlyOnce(ledger);
            } finally {
                second.close();
            }
        }
    }

    @Test
    void pages_that_fail_before_their_commit_again_and_again_are_each_applied_exactly_once() {
        try (TestLedger ledger = new TestLedger()) {
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger failures = new AtomicInteger();
            // Every third page fails just before its commit; every seventh loses its database session there.
            PageHook crashing = (projection, generation, connection, page) -> {
                int call = calls.incrementAndGet();
                if (call % 7 == 0) {
                    failures.incrementAndGet();
                    return Flux.from(connection.createStatement("select pg_terminate_backend(pg_backend_pid())").execute())
                            .flatMap(result -> result.getRowsUpdated())
                            .then();
                }
                if (call % 3 == 0) {
                    failures.incrementAndGet();
                    return Mono.error(new IllegalStateException("crash before commit"));
                }
                return Mono.empty();
            };
            ProjectorSettings settings = new ProjectorSettings(5, 5, Duration.ofMillis(200), Duration.ofMillis(20),
                    Duration.ofMillis(5), Duration.ofMillis(50), Duration.ofMinutes(1), Duration.ofSeconds(1));
            ProjectionFixture fixture = new ProjectionFixture(ledger, settings, crashing).start();
            try {
                Flux.range(0, 3)
                        .flatMap(i -> {
                            RandomWorkload merchant = new RandomWorkload(ledger.commands, 20 + i);
                            return Flux.range(0, 120).concatMap(step -> merchant.step());
                        })
                        .blockLast(Duration.ofMinutes(2));
                fixture.awaitCaughtUp();
                assertThat(failures.get()).isGreaterThan(20);
                assertThat(fixture.projections.runner("volume").orElseThrow().restarts()).isPositive();
                assertExactlyOnce(ledger);
            } finally {
                fixture.close();
            }
        }
    }

    private static void assertExactlyOnce(TestLedger ledger) {
        LedgerFold fold = LedgerFold.of(ledger.store);
        FoldAssertions.additiveModelsMatch(ledger, fold, "volume_g1", "account_entries_g1");
        assertThat(ledger.rows("select projection, events_applied from projection_checkpoints"))
                .allSatisfy(row -> assertThat(row.get("events_applied")).as(row.get("projection").toString())
                        .isEqualTo((long) fold.events));
    }
}
