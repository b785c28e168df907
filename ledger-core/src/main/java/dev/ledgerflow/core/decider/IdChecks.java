package dev.ledgerflow.core.decider;

import java.util.Objects;

/** Checks of the type-prefixed ids ({@code pay_…}, {@code acc_…}) that commands and events carry. */
public final class IdChecks {

    /** Longest id accepted: stream ids are limited to 200 characters and some carry a suffix. */
    public static final int ID_LENGTH_MAX = 160;

    private IdChecks() {}

    /**
     * Returns {@code id} if it starts with {@code prefix} and has something after it.
     *
     * @throws IllegalArgumentException otherwise: the shell makes ids, so a bad one is a bug
     */
    public static String require(String id, String prefix) {
        Objects.requireNonNull(id, prefix + "id");
        if (!id.startsWith(prefix) || id.length() == prefix.length() || id.length() > ID_LENGTH_MAX) {
            throw new IllegalArgumentException("expected an id '" + prefix + "…' of at most " + ID_LENGTH_MAX
                    + " characters: '" + id + "'");
        }
        return id;
    }
}
