package dev.ledgerflow.projections.projector;

import io.r2dbc.spi.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects the parameters of a query built from optional filters: {@code bind(value)} answers the
 * placeholder ({@code $1}, {@code $2}, …) to write into the SQL, and {@link #applyTo} binds them all.
 */
public final class Binder {

    private final List<Object> values = new ArrayList<>();

    public String bind(Object value) {
        values.add(value);
        return "$" + values.size();
    }

    public Statement applyTo(Statement statement) {
        for (int i = 0; i < values.size(); i++) {
            statement.bind("$" + (i + 1), values.get(i));
        }
        return statement;
    }
}
