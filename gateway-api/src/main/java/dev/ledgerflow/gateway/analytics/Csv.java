package dev.ledgerflow.gateway.analytics;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.Flux;

/**
 * CSV (RFC 4180) written as it is read: rows become lines, a few dozen lines become one buffer, and
 * buffers go out as the client takes them, so an export of any size holds only a window of it.
 */
final class Csv {

    /** Lines per buffer written to the client. */
    static final int LINES_PER_BUFFER = 100;

    private Csv() {}

    /**
     * The header and the rows. The header goes out with the first rows, so that a query that fails
     * before its first row still answers with a problem rather than a truncated file.
     */
    static <T> Flux<DataBuffer> of(List<String> header, Flux<T> rows, Function<T, List<?>> fields) {
        String head = line(header);
        return rows.map(row -> line(fields.apply(row)))
                .buffer(LINES_PER_BUFFER)
                .index()
                .map(batch -> (batch.getT1() == 0 ? head : "") + String.join("", batch.getT2()))
                .defaultIfEmpty(head)
                .<DataBuffer>map(text -> DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    static String line(List<?> fields) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(field(fields.get(i)));
        }
        return out.append("\r\n").toString();
    }

    /** A field, quoted when it holds a comma, a quote or a line break; a leading = + - @ is defused for spreadsheets. */
    static String field(Object value) {
        if (value == null) {
            return "";
        }
        String text = value.toString();
        boolean formula = !text.isEmpty() && "=+-@".indexOf(text.charAt(0)) >= 0 && !(value instanceof Number);
        if (formula) {
            text = "'" + text;
        }
        if (text.contains(",") || text.contains("\"") || text.contains("\n") || text.contains("\r") || formula) {
            return '"' + text.replace("\"", "\"\"") + '"';
        }
        return text;
    }
}
