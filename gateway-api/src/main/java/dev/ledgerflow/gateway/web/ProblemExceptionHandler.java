package dev.ledgerflow.gateway.web;

import dev.ledgerflow.core.eventstore.Overloaded;
import dev.ledgerflow.core.eventstore.postgres.PostgresUnavailable;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.util.DisconnectedClientHelper;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Every error leaves as an RFC 9457 problem with a stable code: bad input is a clear 4xx, never a
 * 5xx; PostgreSQL down, restarting or read-only is a 503 {@code unavailable} with {@code Retry-After}
 * (logged as a warning, once per request); an unexpected failure is a 500 whose details stay in the log.
 */
@Component
@Order(-2) // before Spring Boot's default error handler
class ProblemExceptionHandler implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemExceptionHandler.class);

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(failure);
        }
        // A broken connection (reset, broken pipe, aborted) may be the client's, or PostgreSQL's: the driver's
        // socket fails with the same exceptions when the database is killed. Either way the request gets an
        // answer: answered with nothing, it went out as 200 with an empty body, which a client takes for a
        // success (the chaos run's "lost" capture). If the client is gone, the answer goes nowhere.
        boolean brokenConnection = DisconnectedClientHelper.isClientDisconnectedException(failure)
                && !PostgresUnavailable.explains(failure);
        ApiException problem = brokenConnection ? BROKEN_CONNECTION : toProblem(failure);
        if (brokenConnection) {
            log.debug("{} {}: a connection broke (request_id={}): {}", exchange.getRequest().getMethod(),
                    exchange.getRequest().getPath(), requestId(exchange), failure.toString());
        } else if (problem.error() == ApiError.INTERNAL) {
            log.error("{} {} failed (request_id={})", exchange.getRequest().getMethod(), exchange.getRequest().getPath(),
                    requestId(exchange), failure);
        } else if (problem.error() == ApiError.UNAVAILABLE) {
            log.warn("{} {} answered 503 unavailable (request_id={}): {}", exchange.getRequest().getMethod(),
                    exchange.getRequest().getPath(), requestId(exchange), failure.toString());
        }
        var response = exchange.getResponse();
        response.setStatusCode(HttpStatus.valueOf(problem.error().status()));
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (failure instanceof MethodNotAllowedException notAllowed) {
            response.getHeaders().setAllow(notAllowed.getSupportedMethods());
        }
        if (problem.error().status() == 503) {
            response.getHeaders().set(HttpHeaders.RETRY_AFTER, "1");
        }
        byte[] body = Problems.body(problem);
        Mono<Void> written = response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
        return brokenConnection ? written.onErrorResume(error -> Mono.empty()) : written;
    }

    /** The answer when a connection broke while the request was worked on: its outcome is not known here. */
    private static final ApiException BROKEN_CONNECTION = new ApiException(ApiError.UNAVAILABLE,
            "A connection broke while this request was worked on; whether a write was stored is not known here. Retry with"
                    + " the same Idempotency-Key: a write that was stored answers as stored, one that was not is carried out then.");

    /** The request's id, as {@link RequestIds} set it on the answer: the same id as in the access log line. */
    private static String requestId(ServerWebExchange exchange) {
        return exchange.getResponse().getHeaders().getFirst(RequestIds.HEADER);
    }

    static ApiException toProblem(Throwable failure) {
        if (failure instanceof ApiException api) {
            return api;
        }
        if (causedBy(failure, Overloaded.class)) {
            return new ApiException(ApiError.OVERLOADED, "Too many writes are waiting to be stored; nothing was done. Retry after a second.");
        }
        if (PostgresUnavailable.readOnly(failure)) {
            return new ApiException(ApiError.UNAVAILABLE, "The database refuses writes right now (it is read-only); nothing was stored."
                    + " Retry later.");
        }
        if (PostgresUnavailable.explains(failure)) {
            return new ApiException(ApiError.UNAVAILABLE, "The database is unavailable. Retry with the same Idempotency-Key: a write"
                    + " that was stored answers as stored, one that was not is carried out then.");
        }
        if (causedBy(failure, DataBufferLimitException.class)) {
            return new ApiException(ApiError.PAYLOAD_TOO_LARGE, "The request body is larger than 64 KiB.");
        }
        if (failure instanceof UnsupportedMediaTypeStatusException) {
            return new ApiException(ApiError.UNSUPPORTED_MEDIA_TYPE, "Send the request body as application/json.");
        }
        if (failure instanceof NotAcceptableStatusException) {
            return new ApiException(ApiError.NOT_ACCEPTABLE, "This resource cannot be represented in the accepted media types.");
        }
        if (failure instanceof MethodNotAllowedException notAllowed) {
            return new ApiException(ApiError.METHOD_NOT_ALLOWED, "Method " + notAllowed.getHttpMethod() + " is not allowed here.");
        }
        if (failure instanceof ServerWebInputException input) {
            return fromInput(input);
        }
        if (failure instanceof ResponseStatusException status) {
            int code = status.getStatusCode().value();
            if (code == 404) {
                return new ApiException(ApiError.NOT_FOUND, "No such resource.");
            }
            if (code == 413) {
                return new ApiException(ApiError.PAYLOAD_TOO_LARGE, "The request body is larger than 64 KiB.");
            }
            if (code >= 400 && code < 500) {
                return new ApiException(ApiError.INVALID_REQUEST, status.getReason() == null ? "Invalid request." : status.getReason());
            }
        }
        return new ApiException(ApiError.INTERNAL, "Internal error.");
    }

    private static ApiException fromInput(ServerWebInputException input) {
        JacksonException json = cause(input, JacksonException.class);
        if (json instanceof StorableText.Unstorable unstorable) {
            String field = path(unstorable);
            return ApiException.field(ApiError.TEXT_INVALID, field, field + " " + unstorable.problem() + ".");
        }
        if (json instanceof UnrecognizedPropertyException unknown) {
            String field = path(unknown);
            return ApiException.field(ApiError.INVALID_REQUEST, field, "Unknown field '" + field + "'.");
        }
        if (json instanceof InvalidFormatException || json instanceof MismatchedInputException) {
            String field = path((MismatchedInputException) json);
            if (field.isEmpty()) {
                return new ApiException(ApiError.INVALID_REQUEST, "The request body must be a JSON object.");
            }
            String expected = ((MismatchedInputException) json).getTargetType() == null
                    ? "another type"
                    : describe(((MismatchedInputException) json).getTargetType());
            return ApiException.field(ApiError.INVALID_REQUEST, field, "Field '" + field + "' must be " + expected + ".");
        }
        if (json != null) {
            return new ApiException(ApiError.INVALID_REQUEST, "Malformed JSON: " + firstLine(json.getOriginalMessage()));
        }
        String reason = input.getReason() == null ? "Invalid request." : input.getReason();
        if (reason.contains("No request body")) {
            reason = "A JSON request body is required.";
        }
        return new ApiException(ApiError.INVALID_REQUEST, reason);
    }

    private static String path(MismatchedInputException exception) {
        StringBuilder out = new StringBuilder();
        for (JacksonException.Reference ref : exception.getPath()) {
            if (ref.getPropertyName() != null) {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    private static String describe(Class<?> type) {
        if (type == long.class || type == Long.class || type == int.class || type == Integer.class) {
            return "an integer";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (List.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (type.isEnum()) {
            return "one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase();
        }
        return "an object";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable body";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        return cause(failure, type) != null;
    }

    private static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
