package dev.ledgerflow.core.ledgertransaction;

import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.command.Aggregate;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.ledgertransaction.domain.Leg;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionDecider;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionPosted;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionRejection;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Ledger transactions ({@code ltx_…} streams): 2 to 64 legs between a merchant's accounts, all or nothing. */
public final class LedgerTransactionAggregate implements Aggregate<LedgerTransactionCommand, LedgerTransactionState,
        LedgerTransactionEvent, LedgerTransactionRejection> {

    public static final LedgerTransactionAggregate INSTANCE = new LedgerTransactionAggregate();
    public static final String ID_PREFIX = "ltx";

    private static final LedgerTransactionDecider DECIDER = new LedgerTransactionDecider();
    private static final EventCodec<LedgerTransactionEvent> CODEC = new EventCodec<>(Map.of(
            LedgerTransactionEvent.LedgerTransactionPending.TYPE, LedgerTransactionEvent.LedgerTransactionPending.class,
            LedgerTransactionPosted.TYPE, LedgerTransactionPosted.class,
            LedgerTransactionEvent.LedgerTransactionVoided.TYPE, LedgerTransactionEvent.LedgerTransactionVoided.class,
            LedgerTransactionEvent.LedgerTransactionExpired.TYPE, LedgerTransactionEvent.LedgerTransactionExpired.class,
            LedgerTransactionEvent.LedgerTransactionReversed.TYPE, LedgerTransactionEvent.LedgerTransactionReversed.class),
            LedgerTransactionEvent::type);

    private LedgerTransactionAggregate() {}

    /** One leg as the API shows it: what was asked ({@code amount}) and what moved of it ({@code amount_posted}). */
    public record PostingView(String fromAccount, String toAccount, long amount, String currency, long amountPosted) {
        static PostingView of(Leg leg, long postedMinor) {
            return new PostingView(leg.fromAccountId(), leg.toAccountId(), leg.amount().amountMinor(),
                    leg.amount().currency().code(), postedMinor);
        }
    }

    /**
     * A ledger transaction as the API shows it. {@code amount} and {@code currency} summarise it for
     * listings: the first posting's currency and the sum of the postings in that currency (the postings
     * in other currencies are in {@code postings}).
     */
    public record LedgerTransactionView(String id, String status, long amount, String currency,
            List<PostingView> postings, String description, Map<String, String> metadata, Instant expiresAt,
            Instant createdAt, Instant updatedAt) {
        public static LedgerTransactionView of(LedgerTransactionState.LedgerTransaction transaction) {
            String currency = transaction.legs().getFirst().amount().currency().code();
            long amount = transaction.legs().stream()
                    .filter(leg -> leg.amount().currency().code().equals(currency))
                    .mapToLong(leg -> leg.amount().amountMinor())
                    .reduce(0, Math::addExact);
            List<PostingView> postings = new java.util.ArrayList<>(transaction.legs().size());
            for (int i = 0; i < transaction.legs().size(); i++) {
                postings.add(PostingView.of(transaction.legs().get(i), transaction.postedMinor().get(i)));
            }
            return new LedgerTransactionView(transaction.transactionId(), transaction.status().code(), amount, currency,
                    postings, transaction.description(), transaction.metadata(), transaction.expiresAt(),
                    transaction.createdAt(), transaction.updatedAt());
        }
    }

    @Override
    public Decider<LedgerTransactionCommand, LedgerTransactionState, LedgerTransactionEvent, LedgerTransactionRejection> decider() {
        return DECIDER;
    }

    @Override
    public EventCodec<LedgerTransactionEvent> codec() {
        return CODEC;
    }

    @Override
    public Object publicObject(LedgerTransactionState stateAfter, LedgerTransactionEvent event) {
        return LedgerTransactionView.of((LedgerTransactionState.LedgerTransaction) stateAfter);
    }
}
