package dev.ledgerflow.delivery.webhook;

import dev.ledgerflow.core.account.domain.AccountEvent;
import dev.ledgerflow.core.deposit.domain.DepositEvent;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent;
import dev.ledgerflow.core.payment.domain.PaymentEvent;
import dev.ledgerflow.core.transfer.domain.TransferEvent;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The public event types an endpoint can subscribe to (API.md "Events"), and the filter that means all of them. */
public final class EventTypes {

    /** The filter value that subscribes to every type, present and future. */
    public static final String ALL = "*";

    /** In the order API.md lists them. */
    public static final List<String> PUBLIC = List.of(
            AccountEvent.AccountOpened.TYPE,
            DepositEvent.DepositPosted.TYPE,
            TransferEvent.TransferPosted.TYPE,
            PaymentEvent.PaymentCreated.TYPE,
            PaymentEvent.PaymentRequiresCapture.TYPE,
            PaymentEvent.PaymentSucceeded.TYPE,
            PaymentEvent.PaymentFailed.TYPE,
            PaymentEvent.PaymentCanceled.TYPE,
            PaymentEvent.RefundCreated.TYPE,
            PaymentEvent.RefundSucceeded.TYPE,
            PaymentEvent.RefundFailed.TYPE,
            PaymentEvent.PaymentDisputed.TYPE,
            PaymentEvent.PaymentDisputeWon.TYPE,
            PaymentEvent.PaymentDisputeLost.TYPE,
            LedgerTransactionEvent.LedgerTransactionPending.TYPE,
            LedgerTransactionEvent.LedgerTransactionPosted.TYPE,
            LedgerTransactionEvent.LedgerTransactionVoided.TYPE,
            LedgerTransactionEvent.LedgerTransactionExpired.TYPE,
            LedgerTransactionEvent.LedgerTransactionReversed.TYPE);

    private static final Set<String> PUBLIC_SET = Set.copyOf(PUBLIC);

    private EventTypes() {}

    public static boolean isPublic(String type) {
        return PUBLIC_SET.contains(type);
    }

    /** A filter value is a public type or {@link #ALL}. */
    public static boolean isValidFilter(String value) {
        return ALL.equals(value) || isPublic(value);
    }

    /** The filter as stored: de-duplicated in the given order, or just {@code ["*"]} when it holds it. */
    public static List<String> normalise(List<String> filter) {
        if (filter.contains(ALL)) {
            return List.of(ALL);
        }
        return List.copyOf(new LinkedHashSet<>(filter));
    }

    /** The public types a filter selects. */
    public static List<String> selected(List<String> filter) {
        return filter.contains(ALL) ? PUBLIC : filter.stream().filter(EventTypes::isPublic).toList();
    }
}
