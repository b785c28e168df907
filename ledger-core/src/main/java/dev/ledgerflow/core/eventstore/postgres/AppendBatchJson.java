package dev.ledgerflow.core.eventstore.postgres;

import dev.ledgerflow.core.eventstore.AccountOpening;
import dev.ledgerflow.core.eventstore.Append;
import dev.ledgerflow.core.eventstore.BalanceChange;
import dev.ledgerflow.core.eventstore.IdempotencyRecord;
import dev.ledgerflow.core.eventstore.NewEvent;
import java.util.List;

/**
 * Writes a batch of appends as the JSON document {@code ledger_append_batch} takes. Payloads are
 * already JSON and are embedded as they are; this is on the hot path, so it is a plain builder.
 */
final class AppendBatchJson {

    private AppendBatchJson() {}

    static String encode(List<Append> appends) {
        StringBuilder out = new StringBuilder(256 * appends.size());
        out.append('[');
        for (int i = 0; i < appends.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            append(out, appends.get(i));
        }
        return out.append(']').toString();
    }

    private static void append(StringBuilder out, Append append) {
        out.append("{\"stream\":");
        string(out, append.streamId().value());
        out.append(",\"expected\":").append(append.expectedVersion().encoded());
        out.append(",\"events\":[");
        List<NewEvent> events = append.events();
        for (int i = 0; i < events.size(); i++) {
            NewEvent event = events.get(i);
            out.append(i > 0 ? ",{\"id\":\"" : "{\"id\":\"").append(event.eventId()).append("\",\"type\":");
            string(out, event.type());
            out.append(",\"payload\":").append(event.payloadJson());
            out.append(",\"metadata\":").append(event.metadataJson()).append('}');
        }
        out.append(']');
        if (!append.balanceChanges().isEmpty()) {
            out.append(",\"changes\":[");
            List<BalanceChange> changes = append.balanceChanges();
            for (int i = 0; i < changes.size(); i++) {
                BalanceChange change = changes.get(i);
                out.append(i > 0 ? ",{\"account\":" : "{\"account\":");
                string(out, change.accountId());
                out.append(",\"currency\":");
                string(out, change.currency());
                out.append(",\"posted\":").append(change.postedDeltaMinor());
                out.append(",\"pending\":").append(change.pendingDeltaMinor());
                out.append(",\"system\":").append(change.systemAccount()).append('}');
            }
            out.append(']');
        }
        if (!append.accountOpenings().isEmpty()) {
            out.append(",\"open\":[");
            List<AccountOpening> openings = append.accountOpenings();
            for (int i = 0; i < openings.size(); i++) {
                AccountOpening opening = openings.get(i);
                out.append(i > 0 ? ",{\"account\":" : "{\"account\":");
                string(out, opening.accountId());
                out.append(",\"currency\":");
                string(out, opening.currency());
                out.append(",\"merchant\":");
                string(out, opening.merchantId());
                out.append(",\"overdraft_limit\":").append(opening.overdraftLimitMinor()).append('}');
            }
            out.append(']');
        }
        if (append.idempotency().isPresent()) {
            IdempotencyRecord record = append.idempotency().get();
            out.append(",\"idempotency\":{\"scope\":");
            string(out, record.scope());
            out.append(",\"key\":");
            string(out, record.key());
            out.append(",\"fingerprint\":");
            string(out, record.fingerprint());
            out.append(",\"status\":").append(record.responseStatus());
            out.append(",\"body\":");
            string(out, record.responseBody());
            out.append(",\"ttl_seconds\":").append(record.ttl().toSeconds()).append('}');
        }
        out.append('}');
    }

    /** A JSON string literal (RFC 8259 escaping). */
    static void string(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
