package dev.ledgerflow.core.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.AppendResult.Appended;
import dev.ledgerflow.core.eventstore.AppendResult.IdempotentReplay;
import dev.ledgerflow.core.eventstore.AppendResult.InsufficientFunds;
import dev.ledgerflow.core.eventstore.AppendResult.VersionConflict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/**
 * The contract every {@link EventStore} keeps. Run against each implementation on a real server;
 * each test class gets a fresh store.
 */
public abstract class EventStoreContract {

    private static final JsonMapper json = JsonMapper.builder().build();
    private static final AtomicInteger streams = new AtomicInteger();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    protected EventStore store;

    /** A store over an empty log. */
    protected abstract EventStore newStore();

    @BeforeEach
    void setUpStore() {
        store = newStore();
    }

    protected static StreamId newStreamId() {
        return StreamId.of("s_" + UUID.randomUUID().toString().substring(0, 8) + "_" + streams.incrementAndGet());
    }

    protected static NewEvent event(String type, String payloadJson) {
        return new NewEvent(UUID.randomUUID(), type, payloadJson, "{\"merchant\":\"mer_test\"}");
    }

    protected static NewEvent event(int n) {
        return event("thing.happened", "{\"n\":" + n + "}");
    }

    protected AppendResult append(StreamId stream, ExpectedVersion expected, NewEvent... events) {
        return store.append(stream, expected, List.of(events)).block(TIMEOUT);
    }

    protected AppendResult append(Append append) {
        return store.append(append).block(TIMEOUT);
    }

    protected List<RecordedEvent> readStream(StreamId stream) {
        return store.readStream(stream).collectList().block(TIMEOUT);
    }

    @Nested
    class Appending {

        @Test
        void a_new_stream_starts_at_version_one_and_reads_back_in_order() {
            StreamId stream = newStreamId();
            NewEvent first = event("thing.opened", "{\"name\": \"first\", \"amount\": 10}");
            NewEvent second = event("thing.changed", "{\"name\": \"second\"}");

            AppendResult result = append(stream, ExpectedVersion.noStream(), first, second);

            assertThat(result).isInstanceOfSatisfying(Appended.class, a -> {
                assertThat(a.streamVersion()).isEqualTo(2);
                assertThat(a.lastPosition()).isGreaterThan(a.firstPosition());
            });
            List<RecordedEvent> read = readStream(stream);
            assertThat(read).extracting(RecordedEvent::eventId).containsExactly(first.eventId(), second.eventId());
            assertThat(read).extracting(RecordedEvent::streamVersion).containsExactly(1L, 2L);
            assertThat(read).extracting(RecordedEvent::type).containsExactly("thing.opened", "thing.changed");
            assertThat(json.readTree(read.getFirst().payloadJson())).isEqualTo(json.readTree(first.payloadJson()));
            assertThat(json.readTree(read.getFirst().metadataJson()).get("merchant").asString()).isEqualTo("mer_test");
            assertThat(read.getFirst().recordedAt()).isNotNull();
        }

        @Test
        void no_stream_on_an_existing_stream_is_a_conflict_with_the_actual_version() {
            StreamId stream = newStreamId();
            append(stream, ExpectedVersion.noStream(), event(1), event(2));

            assertThat(append(stream, ExpectedVersion.noStream(), event(3))).isEqualTo(new VersionConflict(2));
            assertThat(readStream(stream)).hasSize(2);
        }

        @Test
        void exactly_the_current_version_appends_and_a_stale_version_is_a_conflict() {
            StreamId stream = newStreamId();
            append(stream, ExpectedVersion.noStream(), event(1));

            assertThat(append(stream, ExpectedVersion.exactly(1), event(2)))
                    .isInstanceOfSatisfying(Appended.class, a -> assertThat(a.streamVersion()).isEqualTo(2));
            assertThat(append(stream, ExpectedVersion.exactly(1), event(3))).isEqualTo(new VersionConflict(2));
            assertThat(append(stream, ExpectedVersion.exactly(5), event(3))).isEqualTo(new VersionConflict(2));
            assertThat(readStream(stream)).hasSize(2);
        }

        @Test
        void exactly_a_version_of_a_missing_stream_is_a_conflict_at_version_zero() {
            assertThat(append(newStreamId(), ExpectedVersion.exactly(3), event(1))).isEqualTo(new VersionConflict(0));
        }

        @Test
        void any_appends_whatever_the_version() {
            StreamId stream = newStreamId();
            append(stream, ExpectedVersion.any(), event(1));
            assertThat(append(stream, ExpectedVersion.any(), event(2)))
                    .isInstanceOfSatisfying(Appended.class, a -> assertThat(a.streamVersion()).isEqualTo(2));
        }

        @Test
        void an_append_retried_after_it_committed_is_already_done_not_a_duplicate() {
            StreamId stream = newStreamId();
            NewEvent only = event(1);
            Appended first = (Appended) append(stream, ExpectedVersion.noStream(), only);

            AppendResult retried = append(stream, ExpectedVersion.noStream(), only);

            assertThat(retried).isEqualTo(first);
            assertThat(readStream(stream)).hasSize(1);
        }

        @Test
        void a_missing_stream_reads_empty() {
            assertThat(readStream(newStreamId())).isEmpty();
        }

        @Test
        void a_stream_reads_from_after_a_version_and_empty_when_it_has_not_moved_past_it() {
            StreamId stream = newStreamId();
            append(stream, ExpectedVersion.noStream(), event(1), event(2), event(3));

            assertThat(store.readStream(stream, 1).collectList().block(TIMEOUT))
                    .extracting(RecordedEvent::streamVersion).containsExactly(2L, 3L);
            assertThat(store.readStream(stream, 0).collectList().block(TIMEOUT)).hasSize(3);
            assertThat(store.readStream(stream, 3).collectList().block(TIMEOUT)).isEmpty();
            assertThat(store.readStream(newStreamId(), 2).collectList().block(TIMEOUT)).isEmpty();
        }

        @Test
        void of_many_concurrent_writers_at_one_version_exactly_one_wins() {
            StreamId stream = newStreamId();
            append(stream, ExpectedVersion.noStream(), event(0));

            List<AppendResult> results = Flux.range(1, 40)
                    .flatMap(n -> store.append(stream, ExpectedVersion.exactly(1), List.of(event(n))), 40)
                    .collectList()
                    .block(TIMEOUT);

            assertThat(results).filteredOn(r -> r instanceof Appended).hasSize(1);
            assertThat(results).filteredOn(r -> r instanceof VersionConflict).hasSize(39);
            assertThat(readStream(stream)).hasSize(2);
        }
    }

    @Nested
    class ReadingTheLog {

        @Test
        void reads_every_event_after_a_position_in_feed_order_with_a_limit() {
            LogPosition start = lastLogPosition();
            StreamId a = newStreamId();
            StreamId b = newStreamId();
            append(a, ExpectedVersion.noStream(), event(1), event(2));
            append(b, ExpectedVersion.noStream(), event(3));
            append(a, ExpectedVersion.exactly(2), event(4));

            List<RecordedEvent> all = store.readLog(start, 100).collectList().block(TIMEOUT);
            assertThat(all).extracting(e -> e.streamId().value() + "/" + e.streamVersion())
                    .containsExactly(a + "/1", a + "/2", b + "/1", a + "/3");
            assertThat(all).extracting(RecordedEvent::logPosition).isSorted();

            List<RecordedEvent> firstTwo = store.readLog(start, 2).collectList().block(TIMEOUT);
            List<RecordedEvent> rest = store.readLog(firstTwo.getLast().logPosition(), 100).collectList().block(TIMEOUT);
            assertThat(firstTwo).hasSize(2);
            assertThat(rest).containsExactlyElementsOf(all.subList(2, 4));
        }

        @Test
        void a_public_position_resolves_to_its_place_in_the_feed() {
            append(newStreamId(), ExpectedVersion.noStream(), event(1));
            RecordedEvent any = store.readLog(LogPosition.START, 1).blockFirst(TIMEOUT);

            assertThat(store.logPositionOf(any.position()).block(TIMEOUT)).isEqualTo(any.logPosition());
            assertThat(store.logPositionOf(0).block(TIMEOUT)).isEqualTo(LogPosition.START);
        }

        @Test
        void a_subscription_catches_up_then_receives_new_events_live() {
            LogPosition start = lastLogPosition();
            StreamId stream = newStreamId();
            append(stream, ExpectedVersion.noStream(), event(1), event(2));

            StepVerifier.create(store.subscribe(start).map(RecordedEvent::streamVersion))
                    .expectNext(1L, 2L)
                    .then(() -> append(stream, ExpectedVersion.exactly(2), event(3)))
                    .expectNext(3L)
                    .then(() -> append(stream, ExpectedVersion.exactly(3), event(4), event(5)))
                    .expectNext(4L, 5L)
                    .thenCancel()
                    .verify(TIMEOUT);
        }

        @Test
        void a_subscription_honours_backpressure() {
            LogPosition start = lastLogPosition();
            StreamId stream = newStreamId();
            List<NewEvent> many = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                many.add(event(i));
            }
            store.append(stream, ExpectedVersion.noStream(), many).block(TIMEOUT);

            StepVerifier.create(store.subscribe(start), 0)
                    .thenRequest(3)
                    .expectNextCount(3)
                    .expectNoEvent(Duration.ofMillis(200))
                    .thenRequest(47)
                    .expectNextCount(47)
                    .thenCancel()
                    .verify(TIMEOUT);
        }
    }

    @Nested
    class BalanceGuard {

        @Test
        void a_debit_within_the_available_balance_posts_and_one_beyond_it_is_rejected() {
            String account = openAccount("USD", 0);
            assertThat(append(credit(account, "USD", 100))).isInstanceOf(Appended.class);

            assertThat(append(debit(account, "USD", 60))).isInstanceOf(Appended.class);
            assertThat(append(debit(account, "USD", 41))).isEqualTo(new InsufficientFunds(account));
            assertThat(append(debit(account, "USD", 40))).isInstanceOf(Appended.class);
        }

        @Test
        void the_overdraft_limit_is_headroom_below_zero() {
            String account = openAccount("EUR", 50);
            assertThat(append(debit(account, "EUR", 50))).isInstanceOf(Appended.class);
            assertThat(append(debit(account, "EUR", 1))).isEqualTo(new InsufficientFunds(account));
        }

        @Test
        void holds_reduce_what_is_available() {
            String account = openAccount("USD", 0);
            append(credit(account, "USD", 100));
            Append hold = Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event(1)))
                    .withBalanceChanges(List.of(new BalanceChange(account, "USD", 0, 80, false)));

            assertThat(append(hold)).isInstanceOf(Appended.class);
            assertThat(append(debit(account, "USD", 21))).isEqualTo(new InsufficientFunds(account));
        }

        @Test
        void an_unknown_account_or_another_currency_is_rejected_and_nothing_is_written() {
            String account = openAccount("USD", 0);
            StreamId stream = newStreamId();
            Append unknown = Append.events(stream, ExpectedVersion.noStream(), List.of(event(1)))
                    .withBalanceChanges(List.of(BalanceChange.posted("acc_nope", "USD", 5)));
            Append otherCurrency = Append.events(stream, ExpectedVersion.noStream(), List.of(event(1)))
                    .withBalanceChanges(List.of(BalanceChange.posted(account, "EUR", 5)));

            assertThat(append(unknown)).isEqualTo(new AppendResult.UnknownAccount("acc_nope"));
            assertThat(append(otherCurrency)).isEqualTo(new AppendResult.CurrencyMismatch(account));
            assertThat(readStream(stream)).isEmpty();
        }

        @Test
        void many_concurrent_debits_never_overdraw() {
            String account = openAccount("USD", 0);
            append(credit(account, "USD", 1_000));

            List<AppendResult> results = Flux.range(0, 300)
                    .flatMap(n -> store.append(debit(account, "USD", 7)), 300)
                    .collectList()
                    .block(TIMEOUT);

            assertThat(results).filteredOn(r -> r instanceof Appended).hasSize(1_000 / 7);
            assertThat(results).filteredOn(r -> r instanceof InsufficientFunds).hasSize(300 - 1_000 / 7);
        }
    }

    @Nested
    class Idempotency {

        @Test
        void a_used_key_answers_with_the_stored_response_and_writes_nothing() {
            StreamId first = newStreamId();
            IdempotencyRecord record = idempotency("key-1", "fp-1", "{\"id\":\"pay_1\"}");
            Appended appended = (Appended) append(Append.events(first, ExpectedVersion.noStream(), List.of(event(1)))
                    .withIdempotency(record));

            StreamId second = newStreamId();
            AppendResult replay = append(Append.events(second, ExpectedVersion.noStream(), List.of(event(2)))
                    .withIdempotency(idempotency("key-1", "fp-other", "{\"id\":\"pay_2\"}")));

            assertThat(replay).isEqualTo(new IdempotentReplay("fp-1", 201, "{\"id\":\"pay_1\"}", appended.lastPosition()));
            assertThat(readStream(second)).isEmpty();
        }

        @Test
        void a_rejected_append_does_not_keep_the_key() {
            StreamId stream = newStreamId();
            append(stream, ExpectedVersion.noStream(), event(1));
            IdempotencyRecord record = idempotency("key-2", "fp", "{}");

            assertThat(append(Append.events(stream, ExpectedVersion.noStream(), List.of(event(2))).withIdempotency(record)))
                    .isInstanceOf(VersionConflict.class);
            assertThat(append(Append.events(stream, ExpectedVersion.exactly(1), List.of(event(2))).withIdempotency(record)))
                    .isInstanceOf(Appended.class);
        }

        @Test
        void an_expired_key_can_be_used_again() throws InterruptedException {
            IdempotencyRecord shortLived = new IdempotencyRecord("mer_test", "key-3", "fp", 201, "{}", Duration.ofSeconds(1));
            append(Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event(1))).withIdempotency(shortLived));
            Thread.sleep(1_100);

            assertThat(append(Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event(2)))
                            .withIdempotency(shortLived)))
                    .isInstanceOf(Appended.class);
        }

        @Test
        void of_many_concurrent_appends_with_one_key_exactly_one_writes() {
            List<AppendResult> results = Flux.range(0, 50)
                    .flatMap(n -> store.append(Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event(n)))
                            .withIdempotency(idempotency("key-4", "fp", "{\"n\":" + n + "}"))), 50)
                    .collectList()
                    .block(TIMEOUT);

            assertThat(results).filteredOn(r -> r instanceof Appended).hasSize(1);
            assertThat(results).filteredOn(r -> r instanceof IdempotentReplay).hasSize(49)
                    .extracting(r -> ((IdempotentReplay) r).responseBody())
                    .containsOnly(((IdempotentReplay) results.stream().filter(r -> r instanceof IdempotentReplay)
                            .findFirst().orElseThrow()).responseBody());
        }

        private static IdempotencyRecord idempotency(String key, String fingerprint, String body) {
            return new IdempotencyRecord("mer_test_" + key, key, fingerprint, 201, body, Duration.ofHours(24));
        }
    }

    protected String openAccount(String currency, long overdraftLimitMinor) {
        String account = "acc_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        append(Append.events(StreamId.of(account), ExpectedVersion.noStream(), List.of(event("account.opened", "{}")))
                .withAccountOpenings(List.of(new AccountOpening(account, currency, "mer_test", overdraftLimitMinor))));
        return account;
    }

    protected static Append credit(String account, String currency, long amountMinor) {
        return Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event("deposit.posted", "{}")))
                .withBalanceChanges(List.of(
                        BalanceChange.posted(account, currency, amountMinor),
                        new BalanceChange("sys_funding_" + currency, currency, -amountMinor, 0, true)));
    }

    protected static Append debit(String account, String currency, long amountMinor) {
        return Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event("transfer.posted", "{}")))
                .withBalanceChanges(List.of(
                        BalanceChange.posted(account, currency, -amountMinor),
                        new BalanceChange("sys_funding_" + currency, currency, amountMinor, 0, true)));
    }

    /** The feed position of the newest event, to read only what a test appends after it. */
    protected LogPosition lastLogPosition() {
        LogPosition last = LogPosition.START;
        while (true) {
            List<RecordedEvent> page = store.readLog(last, 1000).collectList().block(TIMEOUT);
            if (page.isEmpty()) {
                return last;
            }
            last = page.getLast().logPosition();
        }
    }
}
