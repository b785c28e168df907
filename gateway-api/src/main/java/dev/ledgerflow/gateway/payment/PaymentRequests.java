package dev.ledgerflow.gateway.payment;

import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.CardNumbers;
import dev.ledgerflow.core.payment.domain.Vpa;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.Instant;
import java.util.Map;
import org.springframework.http.HttpHeaders;

/** The bodies of the payment endpoints, and their checks. */
public final class PaymentRequests {

    private PaymentRequests() {}

    public record CreatePaymentRequest(
            Long amount,
            String currency,
            String captureMethod,
            String description,
            Map<String, String> metadata,
            SourceRequest source) {}

    /** One of {@code card} (number, exp_month, exp_year, cvc), {@code upi} (vpa) or {@code account} (account). */
    public record SourceRequest(String type, String number, Integer expMonth, Integer expYear, String cvc, String vpa, String account) {

        /** Hides the number and CVC, so a request can be fingerprinted or logged without them. */
        SourceRequest redacted(String fingerprint) {
            return new SourceRequest(type, fingerprint, expMonth, expYear, null, vpa, account);
        }
    }

    record CaptureRequest(Long amount) {}

    record RefundRequest(Long amount, String reason) {}

    /**
     * A body that may be left out ("capture everything", "refund everything") but, when sent, is a JSON
     * object: a literal {@code null} decodes to no request, just like no body, yet it is a body, and
     * not one this endpoint takes.
     */
    static void objectOrNothing(Object request, HttpHeaders headers) {
        boolean bodySent = headers.getContentLength() > 0 || headers.containsHeader(HttpHeaders.TRANSFER_ENCODING);
        if (request == null && bodySent) {
            throw new ApiException(ApiError.INVALID_REQUEST,
                    "The request body must be a JSON object, or left out entirely; null is neither.");
        }
    }

    static CaptureMethod captureMethod(String value) {
        if (value == null || value.equals("automatic")) {
            return CaptureMethod.AUTOMATIC;
        }
        if (value.equals("manual")) {
            return CaptureMethod.MANUAL;
        }
        throw ApiException.field(ApiError.INVALID_REQUEST, "capture_method", "capture_method is 'automatic' or 'manual'.");
    }

    public static SourceRequest source(SourceRequest source) {
        if (source == null || source.type() == null) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "source", "source is required, with a type: card, upi or account.");
        }
        switch (source.type()) {
            case "card" -> onlyFields(source.vpa() == null && source.account() == null, "card: number, exp_month, exp_year, cvc");
            case "upi" -> onlyFields(source.number() == null && source.expMonth() == null && source.expYear() == null
                    && source.cvc() == null && source.account() == null, "upi: vpa");
            case "account" -> onlyFields(source.number() == null && source.expMonth() == null && source.expYear() == null
                    && source.cvc() == null && source.vpa() == null, "account: account");
            default -> throw ApiException.field(ApiError.INVALID_REQUEST, "source.type", "source.type is card, upi or account.");
        }
        return source;
    }

    static void card(SourceRequest card, Instant now) {
        String number = card.number();
        if (number == null || !number.matches("[0-9]{12,19}") || !CardNumbers.luhnValid(number)) {
            throw ApiException.field(ApiError.CARD_NUMBER_INVALID, "source.number",
                    "source.number must be 12 to 19 digits that pass the Luhn check.");
        }
        if (card.expMonth() == null || card.expMonth() < 1 || card.expMonth() > 12) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "source.exp_month", "source.exp_month is a month, 1 to 12.");
        }
        if (card.expYear() == null || card.expYear() < 1000 || card.expYear() > 9999) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "source.exp_year", "source.exp_year is a four-digit year.");
        }
        if (YearMonth.of(card.expYear(), card.expMonth()).isBefore(YearMonth.from(now.atZone(ZoneOffset.UTC)))) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "source.exp_year", "The card has expired.");
        }
        if (card.cvc() == null || !card.cvc().matches("[0-9]{3,4}")) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "source.cvc", "source.cvc is 3 or 4 digits.");
        }
    }

    static void upi(SourceRequest upi) {
        if (upi.vpa() == null || !Vpa.isValid(upi.vpa())) {
            throw ApiException.field(ApiError.VPA_INVALID, "source.vpa", "source.vpa must be a UPI address like name@bank.");
        }
    }

    static void sameCurrency(CurrencyCode account, CurrencyCode payment) {
        if (!account.equals(payment)) {
            throw new ApiException(ApiError.CURRENCY_MISMATCH, "The account's currency differs from the payment's.");
        }
    }

    private static void onlyFields(boolean ok, String expected) {
        if (!ok) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "source", "source fields for " + expected + ".");
        }
    }
}
