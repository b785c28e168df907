package dev.ledgerflow.projections.projector;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The tables of one generation of a projection: base name {@code transactions} in generation 3 is
 * {@code transactions_g3}. SQL is written with {@code {transactions}} placeholders and resolved here,
 * so one definition serves every generation.
 */
public record TableNames(int generation, List<String> bases) {

    private static final Pattern BASE = Pattern.compile("[a-z][a-z_]{0,40}");

    public TableNames {
        if (generation < 1) {
            throw new IllegalArgumentException("generations start at 1: " + generation);
        }
        bases = List.copyOf(bases);
        for (String base : bases) {
            if (!BASE.matcher(base).matches()) {
                throw new IllegalArgumentException("not a table base name: " + base);
            }
        }
    }

    /** The table of this generation for {@code base}. */
    public String table(String base) {
        if (!bases.contains(base)) {
            throw new IllegalArgumentException("no table " + base + " in " + bases);
        }
        return base + "_g" + generation;
    }

    /** {@code sql} with every {@code {base}} placeholder replaced by this generation's table. */
    public String resolve(String sql) {
        String resolved = sql;
        for (String base : bases) {
            resolved = resolved.replace("{" + base + "}", table(base));
        }
        if (resolved.matches("(?s).*\\{[a-z_]+}.*")) {
            throw new IllegalArgumentException("unresolved table placeholder in: " + resolved);
        }
        return resolved;
    }
}
