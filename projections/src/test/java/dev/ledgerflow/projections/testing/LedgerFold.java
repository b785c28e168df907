package dev.ledgerflow.projections.testing;

import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.deposit.DepositAggregate;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.posting.domain.HasPostings;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.ledgertransaction.LedgerTransactionAggregate;
import dev.ledgerflow.core.transfer.TransferAggregate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * What the read models must hold, computed independently in Java from the whole log: the last public
 * object of every payment, refund, transfer and deposit; volume sums per period; each account's
 * postings in feed order.
 */
public final class LedgerFold {

    /** The last object of each transaction-like thing, by id. */
    public final Map<String, JsonNode> objects = new LinkedHashMap<>();
    public final Map<String, String> typeOf = new HashMap<>();
    /** (merchant, granularity, period start, currency) → {count, gross, refund count, refunded}. */
    public final Map<List<Object>, long[]> volume = new HashMap<>();
    /** Account → its postings' (posted, pending) deltas in feed order. */
    public final Map<String, List<long[]>> postings = new HashMap<>();
    public final Map<String, Long> posted = new HashMap<>();
    public final Map<String, Long> pending = new HashMap<>();
    public int events;

    private static final Set<String> OBJECT_TYPES = Set.of("payment", "refund", "transfer", "deposit", "ledger_transaction");
    private static final List<EventCodec<?>> CODECS = List.of(PaymentAggregate.INSTANCE.codec(),
            TransferAggregate.INSTANCE.codec(), DepositAggregate.INSTANCE.codec(), LedgerTransactionAggregate.INSTANCE.codec());

    public static LedgerFold of(EventStore store) {
        LedgerFold fold = new LedgerFold();
        LogPosition after = LogPosition.START;
        while (true) {
            List<RecordedEvent> page = store.readLog(after, 1_000).collectList().block(TestLedger.WAIT);
            if (page.isEmpty()) {
                return fold;
            }
            page.forEach(fold::apply);
            after = page.getLast().logPosition();
        }
    }

    private void apply(RecordedEvent recorded) {
        events++;
        String kind = recorded.type().substring(0, recorded.type().indexOf('.'));
        JsonNode data = EventCodec.data(recorded);
        String merchant = PublicEvent.merchantOf(recorded);
        if (OBJECT_TYPES.contains(kind)) {
            objects.put(data.get("id").asString(), data);
            typeOf.put(data.get("id").asString(), kind);
        }
        if (recorded.type().equals("payment.succeeded") || recorded.type().equals("refund.succeeded")) {
            boolean payment = recorded.type().equals("payment.succeeded");
            long amount = payment ? data.get("amount_captured").asLong() : data.get("amount").asLong();
            Instant at = recorded.recordedAt();
            for (var unit : List.of(ChronoUnit.HOURS, ChronoUnit.DAYS)) {
                Instant start = at.atOffset(ZoneOffset.UTC).truncatedTo(unit).toInstant();
                long[] sums = volume.computeIfAbsent(
                        List.of(merchant, unit == ChronoUnit.HOURS ? "hour" : "day", start, data.get("currency").asString()),
                        k -> new long[4]);
                sums[payment ? 0 : 2] += 1;
                sums[payment ? 1 : 3] += amount;
            }
        }
        for (EventCodec<?> codec : CODECS) {
            if (codec.handles(recorded.type()) && codec.decode(recorded) instanceof HasPostings moving) {
                for (Posting posting : moving.postings()) {
                    postings.computeIfAbsent(posting.accountId(), k -> new ArrayList<>())
                            .add(new long[] {posting.postedDeltaMinor(), posting.pendingDeltaMinor()});
                    posted.merge(posting.accountId(), posting.postedDeltaMinor(), Long::sum);
                    pending.merge(posting.accountId(), posting.pendingDeltaMinor(), Long::sum);
                }
            }
        }
    }
}
