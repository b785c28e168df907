package dev.ledgerflow.projections;

import java.util.List;

/** One page of a list: its items, and whether more follow after the last of them. */
public record Slice<T>(List<T> items, boolean hasMore) {

    public Slice {
        items = List.copyOf(items);
    }

    /** The first {@code limit} of {@code fetched}, which was read with one row more than that to learn whether more follow. */
    public static <T> Slice<T> of(List<T> fetched, int limit) {
        return fetched.size() > limit ? new Slice<>(fetched.subList(0, limit), true) : new Slice<>(fetched, false);
    }
}
