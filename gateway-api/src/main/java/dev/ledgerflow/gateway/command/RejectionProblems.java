package dev.ledgerflow.gateway.command;

import dev.ledgerflow.core.decider.Rejection;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionRejection;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;

/** The one mapping from a business rejection (domain or store guard) to an API problem. */
public final class RejectionProblems {

    private RejectionProblems() {}

    public static ApiException of(Rejection rejection) {
        if (rejection instanceof LedgerTransactionRejection ledger) {
            return of(ledger);
        }
        String code = rejection.code();
        return switch (code) {
            case "amount_invalid" -> ApiException.field(ApiError.AMOUNT_INVALID, "amount",
                    "amount must be an integer number of minor units from 1 to 10^12.");
            case "overdraft_limit_invalid" -> ApiException.field(ApiError.INVALID_REQUEST, "overdraft_limit",
                    "overdraft_limit must be an integer from 0 to 10^12.");
            case "threshold_invalid" -> ApiException.field(ApiError.THRESHOLD_INVALID, "condition",
                    "The threshold (condition.below or condition.above) must be an integer from -10^12 to 10^12.");
            case "hysteresis_invalid" -> ApiException.field(ApiError.HYSTERESIS_INVALID, "condition.hysteresis",
                    "condition.hysteresis must be an integer from 0 to 10^12.");
            case "already_deleted" -> new ApiException(ApiError.INVALID_STATE, "The balance monitor was deleted already.");
            case "currency_mismatch" -> new ApiException(ApiError.CURRENCY_MISMATCH,
                    "The accounts and the amount must all be in one currency.");
            case "same_account" -> new ApiException(ApiError.SAME_ACCOUNT, "from_account and to_account are the same.");
            case "insufficient_funds" -> new ApiException(ApiError.INSUFFICIENT_FUNDS,
                    "The account's available balance does not cover the amount.");
            case "invalid_state" -> new ApiException(ApiError.INVALID_STATE,
                    "The payment is not in a state that allows this.");
            case "capture_exceeds_authorized" -> ApiException.field(ApiError.CAPTURE_EXCEEDS_AUTHORIZED, "amount",
                    "The capture exceeds the authorized amount.");
            case "refund_exceeds_captured" -> ApiException.field(ApiError.REFUND_EXCEEDS_CAPTURED, "amount",
                    "The refund exceeds what is left of the captured amount.");
            default -> {
                if (code.endsWith("_not_found")) {
                    yield ApiException.notFound(code.substring(0, code.length() - "_not_found".length()));
                }
                if (code.endsWith("_exists")) {
                    yield new ApiException(ApiError.INVALID_STATE, "It exists already.");
                }
                throw new IllegalStateException("unmapped rejection " + code);
            }
        };
    }

    /** A ledger transaction's rejection, naming the leg it is about in {@code errors[].leg}. */
    private static ApiException of(LedgerTransactionRejection rejection) {
        ApiException problem = switch (rejection.reason()) {
            case LEGS_COUNT_INVALID -> ApiException.field(ApiError.INVALID_REQUEST, "postings",
                    "postings must hold 2 to 64 legs.");
            case AMOUNT_INVALID -> ApiException.field(ApiError.AMOUNT_INVALID, "amount",
                    "amount must be an integer number of minor units from 1 to 10^12.");
            case SAME_ACCOUNT -> ApiException.field(ApiError.SAME_ACCOUNT, "to_account",
                    "from_account and to_account are the same.");
            case CURRENCY_MISMATCH -> ApiException.field(ApiError.CURRENCY_MISMATCH, "currency",
                    "The leg's accounts and amount must all be in one currency.");
            case TIMEOUT_INVALID -> ApiException.field(ApiError.INVALID_REQUEST, "pending.timeout_seconds",
                    "A pending transaction's timeout must end after it is created.");
            case LEDGER_TRANSACTION_EXISTS -> new ApiException(ApiError.INVALID_STATE, "It exists already.");
            case LEDGER_TRANSACTION_NOT_FOUND -> ApiException.notFound("ledger transaction");
            case ALREADY_REVERSED -> new ApiException(ApiError.INVALID_STATE, "The transaction was reversed already.");
            case INVALID_STATE -> new ApiException(ApiError.INVALID_STATE,
                    "The transaction is not in a state that allows this.");
            case EXPIRED -> new ApiException(ApiError.INVALID_STATE, "The pending transaction's time is up: it expires.");
            case NOT_YET_EXPIRED -> new ApiException(ApiError.INVALID_STATE, "The pending transaction has not expired yet.");
            case AMOUNT_CURRENCY_AMBIGUOUS -> ApiException.field(ApiError.CURRENCY_MISMATCH, "amount",
                    "A partial post needs a transaction whose legs share one currency.");
            case POST_EXCEEDS_PENDING -> ApiException.field(ApiError.POST_EXCEEDS_PENDING, "amount",
                    "The amount exceeds what the pending transaction holds.");
            case INSUFFICIENT_FUNDS -> ApiException.field(ApiError.INSUFFICIENT_FUNDS, "from_account",
                    "The account's available balance does not cover the transaction's debits.");
        };
        return rejection.aboutLeg() ? problem.atLeg(rejection.leg()) : problem;
    }

    public static ApiException of(AppendResult storeRejection) {
        return switch (storeRejection) {
            case AppendResult.InsufficientFunds f -> new ApiException(ApiError.INSUFFICIENT_FUNDS,
                    "The account's available balance does not cover the amount.");
            case AppendResult.CurrencyMismatch m -> new ApiException(ApiError.CURRENCY_MISMATCH,
                    "The accounts and the amount must all be in one currency.");
            case AppendResult.UnknownAccount u -> ApiException.notFound("account");
            default -> throw new IllegalStateException("not a store rejection: " + storeRejection);
        };
    }
}
