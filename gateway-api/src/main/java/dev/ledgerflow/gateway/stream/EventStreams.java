package dev.ledgerflow.gateway.stream;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.PaymentViews;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.gateway.stream.EventHub.HubEvent;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import dev.ledgerflow.projections.event.MerchantEvents;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The event streams clients watch: a merchant's feed (resumable after any position) and one payment's
 * changes (its current state first). Both are the hub's live events, joined without gap or duplicate
 * to what the store already holds.
 */
public final class EventStreams {

    /** Payment events after which a payment changes no more (its refunds aside). */
    static final Set<String> FINAL_PAYMENT_EVENTS = Set.of("payment.succeeded", "payment.failed", "payment.canceled");
    static final Set<String> FINAL_STATUSES = Set.of("succeeded", "failed", "canceled");
    private static final int REPLAY_PAGE = 500;

    /** One message of a stream: the SSE id (a global position), event name and JSON data, and its SSE frame. */
    public record Message(long position, String type, String json, byte[] frame) {

        Message(long position, String type, String json) {
            this(position, type, json, Sse.frame(position, type, json));
        }
    }

    private final EventHub hub;
    private final EventStore store;
    private final MerchantEvents merchantEvents;
    private final CommandExecutor executor;
    private final Clock clock;
    private final int bufferMax;

    public EventStreams(EventHub hub, EventStore store, MerchantEvents merchantEvents, CommandExecutor executor, Clock clock,
            int bufferMax) {
        this.hub = hub;
        this.store = store;
        this.merchantEvents = merchantEvents;
        this.executor = executor;
        this.clock = clock;
        this.bufferMax = bufferMax;
    }

    /**
     * The merchant's events after global position {@code after} (from now when absent): first what the
     * store holds up to the hub's last event, then live.
     */
    public Flux<Message> merchantFeed(String merchantId, Optional<Long> after, Sse.Client client) {
        return Flux.defer(() -> {
            Tap tap = hub.tap(event -> merchantId.equals(event.merchant()), bufferMax, client.closer());
            LogPosition upTo = hub.last();
            Mono<LogPosition> from = after.map(store::logPositionOf).orElse(Mono.just(upTo));
            return from.flatMapMany(start -> {
                        LogPosition liveAfter = start.isAfter(upTo) ? start : upTo;
                        return replay(merchantId, start, upTo)
                                .concatWith(tap.events(client.deliverOn()).filter(event -> event.logPosition().isAfter(liveAfter)));
                    })
                    .map(EventStreams::message)
                    .doFinally(signal -> tap.dispose());
        });
    }

    /**
     * Every merchant's events as they happen (an operator's live tail), those that pass {@code filter};
     * from now on, not resumable. Each message's data is {@code {"stream", "merchant", "event": <the event object>}}.
     */
    public Flux<Message> everyEvent(java.util.function.Predicate<HubEvent> filter, Sse.Client client) {
        return Flux.defer(() -> {
            Tap tap = hub.tap(filter, bufferMax, client.closer());
            return tap.events(client.deliverOn()).map(EventStreams::operatorMessage).doFinally(signal -> tap.dispose());
        });
    }

    private static Message operatorMessage(HubEvent event) {
        var mapper = LedgerJson.mapper();
        String json = "{\"stream\":" + mapper.writeValueAsString(event.recorded().streamId().value())
                + ",\"merchant\":" + mapper.writeValueAsString(event.merchant())
                + ",\"event\":" + event.json() + "}";
        return new Message(event.recorded().position(), event.recorded().type(), json);
    }

    /** The merchant's stored events in (from, upTo], page by page. */
    private Flux<HubEvent> replay(String merchantId, LogPosition from, LogPosition upTo) {
        if (!upTo.isAfter(from)) {
            return Flux.empty();
        }
        return merchantEvents.after(merchantId, from, Optional.of(upTo), Optional.empty(), REPLAY_PAGE)
                .collectList()
                .flatMapMany(page -> {
                    Flux<HubEvent> events = Flux.fromIterable(page).map(HubEvent::of);
                    return page.size() < REPLAY_PAGE
                            ? events
                            : events.concatWith(Flux.defer(() -> replay(merchantId, page.getLast().logPosition(), upTo)));
                });
    }

    /**
     * One payment: its current state first (event {@code payment.current}), then each of its events as it
     * happens; completes after a final status. Another merchant's or an unknown payment is 404.
     */
    public Flux<Message> payment(String merchantId, String paymentId, Sse.Client client) {
        if (!Requests.isId(paymentId, "pay_")) {
            return Flux.error(ApiException.notFound("payment"));
        }
        return Flux.defer(() -> {
            // Tapped before loading: whatever the load does not include arrives live.
            Tap tap = hub.tap(event -> paymentId.equals(event.recorded().streamId().value()), bufferMax, client.closer());
            return executor.load(PaymentAggregate.INSTANCE, StreamId.of(paymentId))
                    .filter(loaded -> loaded.state() instanceof PaymentState.Payment p && p.merchantId().equals(merchantId))
                    .switchIfEmpty(Mono.error(ApiException.notFound("payment")))
                    .flatMapMany(loaded -> {
                        PaymentState.Payment payment = (PaymentState.Payment) loaded.state();
                        Message current = current(payment, loaded.lastPosition());
                        if (FINAL_STATUSES.contains(current(payment))) {
                            return Flux.just(current);
                        }
                        return Flux.just(current).concatWith(tap.events(client.deliverOn())
                                .filter(event -> event.recorded().streamVersion() > loaded.version())
                                .takeUntil(event -> FINAL_PAYMENT_EVENTS.contains(event.recorded().type()))
                                .map(EventStreams::message));
                    })
                    .doFinally(signal -> tap.dispose());
        });
    }

    private Message current(PaymentState.Payment payment, long position) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("position", position);
        body.put("type", "payment.current");
        body.put("created_at", clock.instant());
        body.put("data", PaymentViews.payment(payment));
        return new Message(position, "payment.current", LedgerJson.mapper().writeValueAsString(body));
    }

    private static String current(PaymentState.Payment payment) {
        return PaymentViews.payment(payment).status();
    }

    private static Message message(HubEvent event) {
        return new Message(event.recorded().position(), event.recorded().type(), event.json(), event.frame());
    }

    /** The public event types, for filters. */
    public static final List<String> EVENT_TYPES = List.of("account.created", "deposit.posted", "transfer.posted",
            "payment.created", "payment.requires_capture", "payment.succeeded", "payment.failed", "payment.canceled",
            "refund.created", "refund.succeeded", "refund.failed", "payment.disputed", "payment.dispute_won",
            "payment.dispute_lost", "ledger_transaction.pending", "ledger_transaction.posted",
            "ledger_transaction.voided", "ledger_transaction.expired", "ledger_transaction.reversed",
            "balance_monitor.created", "balance_monitor.triggered", "balance_monitor.rearmed", "balance_monitor.deleted");
}
