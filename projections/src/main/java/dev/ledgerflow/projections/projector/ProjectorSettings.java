package dev.ledgerflow.projections.projector;

import java.time.Duration;

/**
 * Tuning of the projectors.
 *
 * @param pageSize most events applied in one transaction while following the feed live
 * @param rebuildPageSize most events applied in one transaction while rebuilding from position zero
 * @param idlePoll how long a caught-up projector waits for a wake-up before reading again anyway
 * @param heldBackPoll how soon it reads again while committed events wait behind a running transaction
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
        Duration heldBackPoll,
        Duration restartDelayFirst,
        Duration restartDelayMax,
        Duration retiredDropDelay,
        Duration activeCacheTtl) {

    public ProjectorSettings {
        if (pageSize < 1 || rebuildPageSize < 1) {
            throw new IllegalArgumentException("page sizes must be positive");
        }
        for (Duration d : new Duration[] {idlePoll, heldBackPoll, restartDelayFirst, restartDelayMax, activeCacheTtl}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("durations must be positive");
            }
        }
        if (retiredDropDelay == null || retiredDropDelay.isNegative()) {
            throw new IllegalArgumentException("retiredDropDelay must not be negative");
        }
    }

    /** Pages of 1,000 live and 10,000 in rebuilds; 1 s idle poll; retired tables kept 1 min. */
    public static ProjectorSettings defaults() {
        return new ProjectorSettings(1_000, 10_000, Duration.ofSeconds(1), Duration.ofMillis(20), Duration.ofMillis(100),
                Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofSeconds(1));
    }

    public ProjectorSettings withPageSizes(int live, int rebuild) {
        return new ProjectorSettings(live, rebuild, idlePoll, heldBackPoll, restartDelayFirst, restartDelayMax,
                retiredDropDelay, activeCacheTtl);
    }

    public ProjectorSettings withRetiredDropDelay(Duration delay) {
        return new ProjectorSettings(pageSize, rebuildPageSize, idlePoll, heldBackPoll, restartDelayFirst, restartDelayMax,
                delay, activeCacheTtl);
    }
}
