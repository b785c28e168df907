package dev.ledgerflow.gateway.checkout;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.PaymentViews;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.auth.StreamTokens;
import dev.ledgerflow.gateway.merchant.MerchantRepository;
import dev.ledgerflow.gateway.payment.PaymentCreation;
import dev.ledgerflow.gateway.payment.PaymentRequests;
import dev.ledgerflow.gateway.payment.PaymentRequests.CreatePaymentRequest;
import dev.ledgerflow.gateway.payment.PaymentRequests.SourceRequest;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Hosted checkout. The merchant creates a session ({@code POST /v1/checkout/sessions}) and sends its
 * customer to {@code /checkout/{id}}; the page reads the session's display data and pays it through
 * two keyless endpoints scoped to that session's unguessable id ({@code …/public}, {@code …/pay}). A
 * payment is created through the same path as {@code POST /v1/payments}; a session is paid at most once,
 * and a failed attempt (a declined card) may be followed by another until the session expires.
 */
@RestController
@Tag(name = "Checkout")
class CheckoutController {

    static final Duration EXPIRES_IN_DEFAULT = Duration.ofMinutes(30);
    static final Duration EXPIRES_IN_MIN = Duration.ofMinutes(1);
    static final Duration EXPIRES_IN_MAX = Duration.ofHours(24);
    /** How long a claimed attempt whose payment was never written blocks another attempt. */
    static final Duration UNWRITTEN_ATTEMPT_HOLD = Duration.ofMinutes(1);
    static final Set<String> METHODS = Set.of("card", "upi");
    private static final SecureRandom random = new SecureRandom();

    private final CheckoutSessions sessions;
    private final PaymentCreation creation;
    private final CommandExecutor executor;
    private final MerchantRepository merchants;
    private final StreamTokens streamTokens;
    private final Clock clock;

    CheckoutController(CheckoutSessions sessions, PaymentCreation creation, CommandExecutor executor,
            MerchantRepository merchants, StreamTokens streamTokens, Clock clock) {
        this.sessions = sessions;
        this.creation = creation;
        this.executor = executor;
        this.merchants = merchants;
        this.streamTokens = streamTokens;
        this.clock = clock;
    }

    record CreateSessionRequest(Long amount, String currency, String description, String successUrl, String cancelUrl,
            List<String> methods, Long expiresInSeconds) {}

    record SessionView(String id, String object, String url, String status, long amount, String currency,
            String description, String successUrl, String cancelUrl, List<String> methods, Instant expiresAt,
            Instant createdAt, String payment) {}

    record PaymentSummary(String id, String status, String failureCode, String brand, String last4) {}

    /** What the customer's page sees: nothing of the merchant but its name. */
    record PublicView(String id, String status, long amount, String currency, String description, String merchantName,
            List<String> methods, Instant expiresAt, String successUrl, String cancelUrl, PaymentSummary payment,
            String streamToken) {}

    record PayRequest(SourceRequest source) {}

    /** A session with the state of its current payment attempt, if written. */
    private record Loaded(CheckoutSessions.Session session, Optional<PaymentViews.PaymentView> payment) {

        String status(Instant now) {
            if (payment.isPresent()) {
                String paymentStatus = payment.get().status();
                if (paymentStatus.equals("succeeded") || paymentStatus.equals("requires_capture")) {
                    return "complete";
                }
                if (paymentStatus.equals("processing")) {
                    return "processing";
                }
            } else if (session.paymentClaimedAt().isPresent()
                    && now.isBefore(session.paymentClaimedAt().get().plus(UNWRITTEN_ATTEMPT_HOLD))) {
                return "processing"; // claimed a moment ago: its payment is being written
            }
            return now.isBefore(session.expiresAt()) ? "open" : "expired";
        }
    }

    @PostMapping(path = "/v1/checkout/sessions", consumes = "application/json", produces = "application/json")
    @ResponseStatus(HttpStatus.CREATED)
    Mono<SessionView> create(Caller.Merchant merchant, @RequestBody CreateSessionRequest request) {
        long amount = Requests.amount(request.amount(), "amount");
        String currency = Requests.currency(request.currency(), "currency").code();
        String description = Requests.optionalText(request.description(), "description");
        String successUrl = url(request.successUrl(), "success_url");
        String cancelUrl = url(request.cancelUrl(), "cancel_url");
        List<String> methods = methods(request.methods());
        Duration expiresIn = expiresIn(request.expiresInSeconds());
        Instant now = clock.instant();
        var session = new CheckoutSessions.Session(newSessionId(), merchant.merchantId(), amount, currency, description,
                successUrl, cancelUrl, methods, now.plus(expiresIn), now, Optional.empty(), Optional.empty());
        return sessions.insert(session).map(stored -> view(new Loaded(stored, Optional.empty()), now));
    }

    @GetMapping(path = "/v1/checkout/sessions/{id}", produces = "application/json")
    Mono<SessionView> get(Caller.Merchant merchant, @PathVariable String id) {
        return load(id).filter(loaded -> loaded.session().merchantId().equals(merchant.merchantId()))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("checkout session")))
                .map(loaded -> view(loaded, clock.instant()));
    }

    /** Keyless: the display data of one session, for its hosted page. */
    @GetMapping(path = "/v1/checkout/sessions/{id}/public", produces = "application/json")
    Mono<PublicView> publicView(@PathVariable String id) {
        return load(id).switchIfEmpty(Mono.error(() -> ApiException.notFound("checkout session")))
                .flatMap(loaded -> merchants.find(loaded.session().merchantId())
                        .map(merchant -> publicView(loaded, merchant.name(), clock.instant())));
    }

    /**
     * Keyless: pays the session by card or UPI. The card number goes from the request into the payment
     * path, which keeps only brand, last four and a keyed fingerprint; it is not in any answer or log.
     */
    @PostMapping(path = "/v1/checkout/sessions/{id}/pay", consumes = "application/json", produces = "application/json")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Mono<PublicView> pay(@PathVariable String id, @RequestBody PayRequest request) {
        SourceRequest source = PaymentRequests.source(request.source());
        return load(id).switchIfEmpty(Mono.error(() -> ApiException.notFound("checkout session"))).flatMap(loaded -> {
            var session = loaded.session();
            Instant now = clock.instant();
            switch (loaded.status(now)) {
                case "complete" -> throw new ApiException(ApiError.CHECKOUT_SESSION_COMPLETE, "This checkout is paid already.");
                case "expired" -> throw new ApiException(ApiError.CHECKOUT_SESSION_EXPIRED,
                        "This checkout has expired; ask the shop for a new one.");
                case "processing" -> throw new ApiException(ApiError.INVALID_STATE,
                        "A payment of this checkout is being processed; wait for its outcome.");
                default -> { }
            }
            if (!session.methods().contains(source.type())) {
                throw ApiException.field(ApiError.INVALID_REQUEST, "source.type",
                        "This checkout accepts " + String.join(" or ", session.methods()) + ".");
            }
            var payment = new CreatePaymentRequest(session.amount(), session.currency(), null, session.description(),
                    Map.of("checkout_session", session.id()), source);
            String paymentId = Ids.newId("pay", now);
            return creation.prepare(session.merchantId(), payment, paymentId)
                    .flatMap(prepared -> sessions.claim(id, session.paymentId(), paymentId, now).flatMap(claimed -> {
                        if (!claimed) {
                            return Mono.error(new ApiException(ApiError.INVALID_STATE,
                                    "This checkout changed meanwhile (paid, being paid, or expired); reload it."));
                        }
                        return creation.run(prepared, Optional.empty(), "/v1/checkout/sessions/" + id + "/pay");
                    }))
                    .map(CheckoutController::paymentView)
                    .flatMap(written -> merchants.find(session.merchantId()).map(merchant -> publicView(
                            new Loaded(new CheckoutSessions.Session(session.id(), session.merchantId(), session.amount(),
                                    session.currency(), session.description(), session.successUrl(), session.cancelUrl(),
                                    session.methods(), session.expiresAt(), session.createdAt(), Optional.of(paymentId),
                                    Optional.of(now)), Optional.of(written)),
                            merchant.name(), now)));
        });
    }

    private Mono<Loaded> load(String id) {
        if (!id.startsWith("cs_") || id.length() > 100) {
            return Mono.empty();
        }
        return sessions.find(id).flatMap(session -> session.paymentId()
                .map(paymentId -> executor.load(PaymentAggregate.INSTANCE, StreamId.of(paymentId))
                        .map(loaded -> loaded.state() instanceof PaymentState.Payment p
                                ? Optional.of(PaymentViews.payment(p))
                                : Optional.<PaymentViews.PaymentView>empty())
                        .defaultIfEmpty(Optional.empty()))
                .orElse(Mono.just(Optional.empty()))
                .map(payment -> new Loaded(session, payment)));
    }

    private static SessionView view(Loaded loaded, Instant now) {
        var s = loaded.session();
        return new SessionView(s.id(), "checkout_session", "/checkout/" + s.id(), loaded.status(now), s.amount(), s.currency(),
                s.description(), s.successUrl(), s.cancelUrl(), s.methods(), s.expiresAt(), s.createdAt(),
                s.paymentId().orElse(null));
    }

    private PublicView publicView(Loaded loaded, String merchantName, Instant now) {
        var s = loaded.session();
        String status = loaded.status(now);
        PaymentSummary payment = loaded.payment().map(p -> new PaymentSummary(p.id(), p.status(), p.failureCode(),
                p.source() == null ? null : p.source().brand(), p.source() == null ? null : p.source().last4())).orElse(null);
        // A token for the current attempt's stream only, so the page can follow it live.
        String token = payment != null && status.equals("processing")
                ? streamTokens.issue(s.merchantId(), Optional.of(payment.id()))
                : null;
        return new PublicView(s.id(), status, s.amount(), s.currency(), s.description(), merchantName, s.methods(),
                s.expiresAt(), s.successUrl(), s.cancelUrl(), payment, token);
    }

    private static PaymentViews.PaymentView paymentView(ResponseEntity<byte[]> written) {
        return LedgerJson.mapper().readValue(written.getBody(), PaymentViews.PaymentView.class);
    }

    private static String newSessionId() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return "cs_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String url(String value, String field) {
        String text = Requests.required(value, field);
        try {
            URI uri = new URI(text);
            if (text.length() <= 2000 && uri.isAbsolute() && uri.getHost() != null
                    && ("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))) {
                return text;
            }
        } catch (java.net.URISyntaxException e) {
            // answered below
        }
        throw ApiException.field(ApiError.INVALID_REQUEST, field, field + " must be an absolute http(s) URL.");
    }

    static List<String> methods(List<String> requested) {
        if (requested == null) {
            return List.of("card", "upi");
        }
        if (requested.isEmpty() || requested.stream().anyMatch(m -> m == null || !METHODS.contains(m))) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "methods", "methods is a non-empty list of 'card' and 'upi'.");
        }
        return List.copyOf(new LinkedHashSet<>(requested));
    }

    static Duration expiresIn(Long seconds) {
        if (seconds == null) {
            return EXPIRES_IN_DEFAULT;
        }
        if (seconds < EXPIRES_IN_MIN.toSeconds() || seconds > EXPIRES_IN_MAX.toSeconds()) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "expires_in_seconds",
                    "expires_in_seconds is between 60 and 86400.");
        }
        return Duration.ofSeconds(seconds);
    }
}
