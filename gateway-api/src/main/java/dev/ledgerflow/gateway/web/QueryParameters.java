package dev.ledgerflow.gateway.web;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.util.MultiValueMap;

/**
 * Checks of query parameters that answer with the API's field problems: list limits, times, closed
 * sets of values, and no unknown or repeated parameters (a misspelt filter would otherwise be ignored
 * silently, and an analyst would read the wrong numbers).
 */
public final class QueryParameters {

    public static final int LIMIT_DEFAULT = 20;
    public static final int LIMIT_MAX = 100;

    private QueryParameters() {}

    /** Rejects parameters outside {@code allowed} and parameters given twice. */
    public static void onlyKnown(MultiValueMap<String, String> query, Collection<String> allowed) {
        for (var entry : query.entrySet()) {
            if (!allowed.contains(entry.getKey())) {
                throw ApiException.field(ApiError.INVALID_REQUEST, entry.getKey(), "Unknown parameter '" + entry.getKey()
                        + "'; allowed: " + String.join(", ", new TreeSet<>(allowed)) + ".");
            }
            if (entry.getValue().size() > 1) {
                throw ApiException.field(ApiError.INVALID_REQUEST, entry.getKey(), "Parameter '" + entry.getKey()
                        + "' is given more than once.");
            }
        }
    }

    /** {@code ?limit=}: 1 to {@code max}, {@value #LIMIT_DEFAULT} when absent. */
    public static int limit(String value, int max) {
        if (value == null) {
            return Math.min(LIMIT_DEFAULT, max);
        }
        try {
            int limit = Integer.parseInt(value.strip());
            if (limit >= 1 && limit <= max) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.field(ApiError.INVALID_REQUEST, "limit", "limit must be an integer from 1 to " + max + ".");
    }

    public static int limit(String value) {
        return limit(value, LIMIT_MAX);
    }

    /** An RFC 3339 time such as {@code 2025-01-31T00:00:00Z}, if given. */
    public static Optional<Instant> time(String value, String field) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(value.strip()).toInstant());
        } catch (DateTimeParseException e) {
            throw ApiException.field(ApiError.INVALID_REQUEST, field,
                    field + " must be an RFC 3339 time such as 2025-01-31T00:00:00Z.");
        }
    }

    /** One of a closed set of values, if given. */
    public static Optional<String> oneOf(String value, String field, Set<String> allowed) {
        if (value == null) {
            return Optional.empty();
        }
        if (!allowed.contains(value)) {
            throw ApiException.field(ApiError.INVALID_REQUEST, field,
                    field + " must be one of " + String.join(", ", new TreeSet<>(allowed)) + ".");
        }
        return Optional.of(value);
    }

    /** A global position of the event log (0 = before the first), if given. */
    public static Optional<Long> position(String value, String field) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            long position = Long.parseLong(value.strip());
            if (position >= 0) {
                return Optional.of(position);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.field(ApiError.INVALID_REQUEST, field, field + " must be a non-negative integer (a global position).");
    }

    /** A non-blank text of at most 255 characters, if given. */
    public static Optional<String> text(String value, String field) {
        if (value == null) {
            return Optional.empty();
        }
        if (value.isBlank() || value.length() > 255) {
            throw ApiException.field(ApiError.INVALID_REQUEST, field, field + " must be 1 to 255 characters.");
        }
        return Optional.of(value);
    }
}
