package dev.ledgerflow.gateway.web;

/** Every error the API answers with: its HTTP status, stable {@code code} and title (API.md). */
public enum ApiError {
    INVALID_REQUEST(400, "invalid_request", "The request is not valid"),
    AMOUNT_INVALID(400, "amount_invalid", "The amount is not valid"),
    CURRENCY_INVALID(400, "currency_invalid", "The currency is not valid"),
    CARD_NUMBER_INVALID(400, "card_number_invalid", "The card number is not valid"),
    VPA_INVALID(400, "vpa_invalid", "The UPI address is not valid"),
    THRESHOLD_INVALID(400, "threshold_invalid", "The threshold is not valid"),
    HYSTERESIS_INVALID(400, "hysteresis_invalid", "The hysteresis is not valid"),
    TEXT_INVALID(400, "text_invalid", "A text holds a character that cannot be stored"),
    URL_INVALID(400, "url_invalid", "The URL cannot be used as a webhook endpoint"),
    UNAUTHENTICATED(401, "unauthenticated", "Missing or invalid API key"),
    NOT_FOUND(404, "not_found", "No such resource"),
    METHOD_NOT_ALLOWED(405, "method_not_allowed", "Method not allowed"),
    NOT_ACCEPTABLE(406, "not_acceptable", "Not acceptable"),
    INVALID_STATE(409, "invalid_state", "The resource is not in a state that allows this"),
    CHECKOUT_SESSION_EXPIRED(409, "checkout_session_expired", "The checkout session has expired"),
    CHECKOUT_SESSION_COMPLETE(409, "checkout_session_complete", "The checkout session is paid already"),
    IDEMPOTENCY_KEY_IN_USE(409, "idempotency_key_in_use", "A request with this idempotency key is still in flight"),
    URI_TOO_LONG(414, "uri_too_long", "The request line is too long"),
    HEADERS_TOO_LARGE(431, "headers_too_large", "The request headers are too large"),
    PAYLOAD_TOO_LARGE(413, "payload_too_large", "The request body is larger than 64 KiB"),
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type", "Send the request body as application/json"),
    INSUFFICIENT_FUNDS(422, "insufficient_funds", "Insufficient funds"),
    CURRENCY_MISMATCH(422, "currency_mismatch", "Currency mismatch"),
    REFUND_EXCEEDS_CAPTURED(422, "refund_exceeds_captured", "The refund exceeds what is left of the captured amount"),
    CAPTURE_EXCEEDS_AUTHORIZED(422, "capture_exceeds_authorized", "The capture exceeds the authorized amount"),
    POST_EXCEEDS_PENDING(422, "post_exceeds_pending", "The amount exceeds what the pending transaction holds"),
    IDEMPOTENCY_KEY_REUSE(422, "idempotency_key_reuse", "The idempotency key was used with a different request"),
    SAME_ACCOUNT(422, "same_account", "The source and destination accounts are the same"),
    PROJECTION_BEHIND(503, "projection_behind", "The read models have not caught up yet"),
    OVERLOADED(503, "overloaded", "The service is taking more writes than it can; retry later"),
    CONFLICT_RETRY(503, "concurrent_update", "The resource kept changing concurrently; retry"),
    UNAVAILABLE(503, "unavailable", "The database is unavailable or refuses writes; retry later"),
    INTERNAL(500, "internal_error", "Internal error");

    private final int status;
    private final String code;
    private final String title;

    ApiError(int status, String code, String title) {
        this.status = status;
        this.code = code;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String title() {
        return title;
    }
}
