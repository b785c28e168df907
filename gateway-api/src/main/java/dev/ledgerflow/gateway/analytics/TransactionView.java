package dev.ledgerflow.gateway.analytics;

import dev.ledgerflow.projections.transaction.TransactionQueries;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * A payment, refund, transfer or deposit as the transaction listing shows it.
 *
 * @param account the account it moves money on: a deposit's account, a transfer's source, a wallet
 *     payment's (or its refund's) account; null for card and UPI payments
 * @param toAccount a transfer's destination
 * @param payment a refund's payment
 * @param position the global position of its last change
 */
public record TransactionView(String id, String type, String status, long amount, String currency, String account,
        String toAccount, String payment, String description, Instant createdAt, Instant updatedAt, long position) {

    static final List<String> CSV_HEADER = List.of("id", "type", "status", "amount", "currency", "account", "to_account",
            "payment", "description", "created_at", "updated_at", "position");

    static TransactionView of(TransactionQueries.Row row) {
        return new TransactionView(row.id(), row.type(), row.status(), row.amount(), row.currency(), row.accountId(),
                row.toAccountId(), row.paymentId(), row.description(), row.createdAt(), row.updatedAt(), row.position());
    }

    static List<?> csvFields(TransactionQueries.Row row) {
        return Arrays.asList(row.id(), row.type(), row.status(), row.amount(), row.currency(), row.accountId(),
                row.toAccountId(), row.paymentId(), row.description(), row.createdAt(), row.updatedAt(), row.position());
    }
}
