package dev.ledgerflow.core.decider;

import java.util.Locale;

/**
 * A business reason not to accept a command; implemented by one enum per aggregate whose constants
 * are listed in the order the decider checks them.
 */
public interface Rejection {

    /** The constant's name, as every enum has. */
    String name();

    /**
     * Whether the very same command may succeed later because other commands change the state (for
     * example a deposit after {@code INSUFFICIENT_FUNDS}); false when the request itself must change.
     */
    boolean retryable();

    /** The stable public error code: the constant's name in lower case, as listed in API.md. */
    default String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
