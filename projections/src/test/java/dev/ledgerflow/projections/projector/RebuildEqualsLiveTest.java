package dev.ledgerflow.projections.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.projections.testing.ProjectionFixture;
import dev.ledgerflow.projections.testing.RandomWorkload;
import dev.ledgerflow.projections.testing.TestLedger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * After a random workload, written by several merchants at once while the projectors follow the feed
 * in small pages, every projection equals the result of rebuilding it from position zero in large ones.
 */
class RebuildEqualsLiveTest {

    static TestLedger ledger;
    static ProjectionFixture fixture;

    @BeforeAll
    static void workload() {
        ledger = new TestLedger();
        // Small live pages split the workload at many places; the rebuild reads it in big pages.
        fixture = new ProjectionFixture(ledger, ProjectorSettings.defaults().withPageSizes(7, 5_000)
                .withRetiredDropDelay(Duration.ofHours(1))).start();
        List<RandomWorkload> merchants = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            merchants.add(new RandomWorkload(ledger.commands, 100 + i));
        }
        Flux.fromIterable(merchants)
                .flatMap(merchant -> Flux.range(0, 150).concatMap(step -> merchant.step()), 4)
                .blockLast(Duration.ofMinutes(2));
        fixture.awaitCaughtUp();
    }

    @AfterAll
    static void close() {
        fixture.close();
        ledger.close();
    }

    @Test
    void every_projection_equals_its_rebuild_from_zero() {
        assertThat(ledger.rows("select count(*) as n from events").getFirst().get("n")).isNotEqualTo(0L);
        for (String name : fixture.projections.names()) {
            int live = fixture.activeGeneration(name);
            var started = fixture.projections.rebuild(name).block(TestLedger.WAIT);
            assertThat(started.generation()).isGreaterThan(live);
            await().atMost(Duration.ofSeconds(60)).until(() -> fixture.activeGeneration(name) == started.generation());
            fixture.awaitCaughtUp();

            for (String table : fixture.projections.catalog().projection(name).tables()) {
                String liveTable = table + "_g" + live;
                String rebuiltTable = table + "_g" + started.generation();
                assertThat(ledger.rows("select count(*) as n from " + rebuiltTable).getFirst().get("n"))
                        .as(rebuiltTable).isNotEqualTo(0L);
                assertThat(fixture.difference(liveTable, rebuiltTable)).as(table).isEmpty();
            }
        }
    }
}
