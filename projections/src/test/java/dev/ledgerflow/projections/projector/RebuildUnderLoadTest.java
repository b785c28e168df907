package dev.ledgerflow.projections.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.projections.entry.AccountEntryQueries;
import dev.ledgerflow.projections.testing.FoldAssertions;
import dev.ledgerflow.projections.testing.LedgerFold;
import dev.ledgerflow.projections.testing.ProjectionFixture;
import dev.ledgerflow.projections.testing.RandomWorkload;
import dev.ledgerflow.projections.testing.TestLedger;
import dev.ledgerflow.projections.transaction.TransactionQueries;
import dev.ledgerflow.projections.volume.VolumeQueries;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Rebuilding every projection while merchants keep writing and analysts keep reading: no read fails,
 * reads go on answering throughout, and the rebuilt generations end equal to a fresh fold of the log.
 */
class RebuildUnderLoadTest {

    @Test
    void a_rebuild_under_concurrent_writes_and_reads_ends_equal_to_a_fresh_fold_with_no_failed_read() {
        try (TestLedger ledger = new TestLedger()) {
            // Dropping retired tables at once: reads still running on them must survive that too.
            ProjectorSettings settings = ProjectorSettings.defaults().withPageSizes(50, 200).withRetiredDropDelay(Duration.ZERO);
            ProjectionFixture fixture = new ProjectionFixture(ledger, settings).start();
            RandomWorkload first = new RandomWorkload(ledger.commands, 31);
            first.run(250);
            fixture.awaitCaughtUp();

            var catalog = fixture.projections.catalog();
            TransactionQueries transactions = new TransactionQueries(ledger.pool, catalog);
            VolumeQueries volume = new VolumeQueries(ledger.pool, catalog);
            AccountEntryQueries entries = new AccountEntryQueries(ledger.pool, catalog);
            String account = (String) ledger.rows("select account_id from account_balances where account_id like 'acc_%' limit 1")
                    .getFirst().get("account_id");

            AtomicBoolean writing = new AtomicBoolean(true);
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            AtomicLong reads = new AtomicLong();
            Disposable readers = Flux.range(0, 4)
                    .flatMap(reader -> Mono.defer(() -> Mono.when(
                                    transactions.page(TransactionQueries.Filter.of(first.merchant()), Optional.empty(), 50),
                                    Flux.from(transactions.stream(TransactionQueries.Filter.of(first.merchant()), Optional.empty())).then(),
                                    volume.report(first.merchant(), "hour", Optional.empty(), Instant.EPOCH, Instant.now().plusSeconds(3600), 100),
                                    entries.page(account, Optional.empty(), 20),
                                    entries.lastAtOrBefore(account, Instant.now())))
                            .doOnSuccess(done -> reads.incrementAndGet())
                            .doOnError(failures::add)
                            .onErrorResume(error -> Mono.empty())
                            .repeat())
                    .subscribeOn(Schedulers.boundedElastic())
                    .subscribe();
            Disposable writers = Flux.range(0, 3)
                    .flatMap(i -> {
                        RandomWorkload merchant = i == 0 ? first : new RandomWorkload(ledger.commands, 40 + i);
                        return Mono.defer(merchant::step).repeat(writing::get);
                    })
                    .subscribe(null, failures::add);

            long readsBefore = waitForReads(reads, 0);
            for (String name : fixture.projections.names()) {
                int generation = fixture.projections.rebuild(name).block(TestLedger.WAIT).generation();
                await().atMost(Duration.ofSeconds(90)).until(() -> fixture.activeGeneration(name) == generation);
            }
            long readsDuring = waitForReads(reads, readsBefore);
            writing.set(false);
            writers.dispose();
            await().atMost(Duration.ofSeconds(30)).until(() -> fixture.projections.dropRetired().block() == 0
                    && ledger.rows("select count(*) as n from projection_generations where status = 'retired' and dropped_at is null")
                            .getFirst().get("n").equals(0L));
            waitForReads(reads, readsDuring);
            readers.dispose();

            assertThat(failures).isEmpty();
            assertThat(readsDuring).isGreaterThan(readsBefore);
            fixture.awaitCaughtUp();
            LedgerFold fold = LedgerFold.of(ledger.store);
            for (String name : fixture.projections.names()) {
                assertThat(fixture.activeGeneration(name)).as(name).isEqualTo(2);
            }
            FoldAssertions.additiveModelsMatch(ledger, fold, "volume_g2", "account_entries_g2");
            List<Map<String, Object>> rows = ledger.rows(
                    "select t.id, (e.payload -> 'data')::text as data from transactions_g2 t join events e on e.position = t.position");
            assertThat(rows).hasSize(fold.objects.size());
            rows.forEach(row -> assertThat(LedgerJson.mapper().readTree((String) row.get("data")))
                    .isEqualTo(fold.objects.get((String) row.get("id"))));
            assertThat(ledger.rows("select to_regclass('transactions_g1') as t").getFirst().get("t")).isNull();
            fixture.close();
        }
    }

    private static long waitForReads(AtomicLong reads, long moreThan) {
        await().atMost(Duration.ofSeconds(30)).until(() -> reads.get() > moreThan + 3);
        return reads.get();
    }
}
