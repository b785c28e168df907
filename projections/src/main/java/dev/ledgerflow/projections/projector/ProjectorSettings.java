package dev.ledgerflow.projections.projector;

import java.time.Duration;

/**
 * Tuning of the projectors.
 *
 * @param pageSize most events applied in one transaction while following the feed live
 * @param rebuildPageSize most events applied in one transaction while rebuilding from position zero
 * @param idlePoll how long a caught-up projector waits for the tail of the log to read more before it
 *     looks anyway (the tail wakes it; this only bounds a lost wake-up)
 * @param pageInterval the least time between two pages of a live projector that is caught up: under
 *     load one page then applies the commits of this whole interval (read-your-writes waits up to it)
 * @param restartDelayFirst the first wait before trying again after a failed page; it doubles …
 * @param restartDelayMax … up to this
 * @param retiredDropDelay how long the tables of a replaced generation are kept, so that reads that
 *     started on them finish, before they are dropped
 * @param activeCacheTtl how long a reader trusts its cached answer to "which generation is active"
 *     (a swap made by another instance is seen after at most this long)
 */
public record ProjectorSettings(
        int pageSize,
        int rebuildPageSize,
        Duration idlePoll,
        Duration pageInterval,
        Duration restartDelayFirst,
        Duration restartDelayMax,
        Duration retiredDropDelay,
        Duration activeCacheTtl) {

    public ProjectorSettings {
        if (pageSize < 1 || rebuildPageSize < 1) {
            throw new IllegalArgumentException("page sizes must be positive");
        }
        for (Duration d : new Duration[] {idlePoll, pageInterval, restartDelayFirst, restartDelayMax, activeCacheTtl}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("durations must be positive");
            }
        }
        if (retiredDropDelay == null || retiredDropDelay.isNegative()) {
            throw new IllegalArgumentException("retiredDropDelay must not be negative");
        }
    }

    /** Pages of 1,000 live and 10,000 in rebuilds, at most one live page per 50 ms; 30 s idle poll; retired tables kept 1 min. */
    public static ProjectorSettings defaults() {
        return new ProjectorSettings(1_000, 10_000, Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofMillis(100),
                Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofSeconds(1));
    }

    public ProjectorSettings withPageSizes(int live, int rebuild) {
        return new ProjectorSettings(live, rebuild, idlePoll, pageInterval, restartDelayFirst, restartDelayMax,
                retiredDropDelay, activeCacheTtl);
    }

    public ProjectorSettings withRetiredDropDelay(Duration delay) {
        return new ProjectorSettings(pageSize, rebuildPageSize, idlePoll, pageInterval, restartDelayFirst, restartDelayMax,
                delay, activeCacheTtl);
    }
}
