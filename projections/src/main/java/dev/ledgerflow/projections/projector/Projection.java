package dev.ledgerflow.projections.projector;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A read model of the event log, defined as SQL that the {@link ProjectionRunner} runs inside the
 * database: the events never travel to the JVM and back, and one page of thousands of events is a
 * handful of set-based statements. Table names are written as {@code {base}} placeholders (see
 * {@link TableNames}), so every generation of the projection uses the same definition.
 *
 * @param name the projection's name, as in {@code /admin/projections/{name}/rebuild}
 * @param tables the base names of its tables
 * @param createTables DDL of its tables with their primary keys
 * @param createIndexes secondary indexes: built with the tables for a first generation, and after a
 *     rebuild has caught up for a later one (bulk loading without them is several times faster)
 * @param apply the statements that apply one page of the feed, in order, inside one transaction.
 *     Each binds {@code $1, $2} = the (txid as text, position) the page starts after and {@code $3,
 *     $4} = the (txid as text, position) of its last event; events in the page are exactly those with
 *     {@code (txid, position) > ($1::text::xid8, $2) and (txid, position) <= ($3::text::xid8, $4)}.
 *     Every event in that range is committed, so every statement of the page sees the same events.
 */
public record Projection(String name, List<String> tables, List<String> createTables, List<String> createIndexes,
        List<String> apply) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z_]{0,40}");

    public Projection {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("projection names are lower case words: " + name);
        }
        tables = List.copyOf(tables);
        createTables = List.copyOf(createTables);
        createIndexes = List.copyOf(createIndexes);
        apply = List.copyOf(apply);
        if (tables.isEmpty() || apply.isEmpty()) {
            throw new IllegalArgumentException("a projection needs tables and statements: " + name);
        }
    }

    /** The tables of one generation. */
    public TableNames tableNames(int generation) {
        return new TableNames(generation, tables);
    }

    /** The condition selecting a page's events from {@code events e}, for {@link #apply} statements. */
    public static final String PAGE = "(e.txid, e.position) > ($1::text::xid8, $2) and (e.txid, e.position) <= ($3::text::xid8, $4)";
}
