package dev.ledgerflow.gateway.web;

import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import java.util.Locale;
import java.util.Map;

/** Checks of request fields that answer with the API's field problems. */
public final class Requests {

    public static final int METADATA_KEYS_MAX = 50;
    public static final int METADATA_KEY_LENGTH_MAX = 40;
    public static final int METADATA_VALUE_LENGTH_MAX = 500;
    public static final int TEXT_LENGTH_MAX = 1000;

    /** Longest id accepted in a path or a body: ours are a prefix and 26 characters. */
    public static final int ID_LENGTH_MAX = 64;

    private Requests() {}

    /**
     * Whether {@code value} has the form of one of our ids with this prefix ({@code pay_}, {@code acc_}, …):
     * the prefix, then 1 to {@value #ID_LENGTH_MAX} ASCII letters and digits. Anything else names no
     * object, so it answers 404 like an id that does not exist, before it reaches a stream id or a query
     * (where a NUL, or an id too long for a stream, would be an internal error rather than "not found").
     */
    public static boolean isId(String value, String prefix) {
        if (value == null || !value.startsWith(prefix) || value.length() == prefix.length()
                || value.length() > prefix.length() + ID_LENGTH_MAX) {
            return false;
        }
        for (int i = prefix.length(); i < value.length(); i++) {
            char c = value.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                return false;
            }
        }
        return true;
    }

    /** {@code value} when it {@linkplain #isId is one of our ids} with this prefix; otherwise 404, as for an unknown id. */
    public static String id(String value, String prefix, String what) {
        if (!isId(value, prefix)) {
            throw ApiException.notFound(what);
        }
        return value;
    }

    /**
     * Why a text cannot be stored, or null when it can: PostgreSQL refuses a NUL character in text and
     * in jsonb, and half a surrogate pair has no UTF-8 form (it would be stored as '?').
     */
    public static String unstorable(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                return "holds a NUL character (U+0000), which cannot be stored";
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "holds half of a UTF-16 surrogate pair, which is not a character";
            }
        }
        return null;
    }

    public static long amount(Long amount, String field) {
        if (amount == null) {
            throw ApiException.field(ApiError.AMOUNT_INVALID, field, field + " is required.");
        }
        if (!Money.withinRequestLimits(amount)) {
            throw ApiException.field(ApiError.AMOUNT_INVALID, field,
                    field + " must be an integer number of minor units from 1 to 10^12.");
        }
        return amount;
    }

    public static CurrencyCode currency(String currency, String field) {
        if (currency == null) {
            throw ApiException.field(ApiError.CURRENCY_INVALID, field, field + " is required.");
        }
        String upper = currency.strip().toUpperCase(Locale.ROOT);
        if (!CurrencyCode.isValid(upper)) {
            throw ApiException.field(ApiError.CURRENCY_INVALID, field, "'" + currency + "' is not an ISO 4217 currency code.");
        }
        return CurrencyCode.of(upper);
    }

    public static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw ApiException.field(ApiError.INVALID_REQUEST, field, field + " is required.");
        }
        return value;
    }

    public static String optionalText(String value, String field) {
        if (value != null && value.length() > TEXT_LENGTH_MAX) {
            throw ApiException.field(ApiError.INVALID_REQUEST, field, field + " must be at most " + TEXT_LENGTH_MAX + " characters.");
        }
        return value;
    }

    public static Map<String, String> metadata(Map<String, String> metadata) {
        if (metadata == null) {
            return Map.of();
        }
        if (metadata.size() > METADATA_KEYS_MAX) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "metadata", "metadata holds at most 50 keys.");
        }
        for (var entry : metadata.entrySet()) {
            if (entry.getKey().isEmpty() || entry.getKey().length() > METADATA_KEY_LENGTH_MAX) {
                throw ApiException.field(ApiError.INVALID_REQUEST, "metadata", "metadata keys are 1 to 40 characters.");
            }
            if (entry.getValue() == null || entry.getValue().length() > METADATA_VALUE_LENGTH_MAX) {
                throw ApiException.field(ApiError.INVALID_REQUEST, "metadata." + entry.getKey(),
                        "metadata values are strings of at most 500 characters.");
            }
        }
        return metadata;
    }
}
