package dev.ledgerflow.gateway.account;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.account.AccountView;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.projection.ReadYourWrites;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import dev.ledgerflow.gateway.web.QueryParameters;
import dev.ledgerflow.projections.entry.AccountEntriesProjection;
import dev.ledgerflow.projections.entry.AccountEntryQueries;
import dev.ledgerflow.projections.entry.AccountEntryQueries.Entry;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * An account's history from the entry projection: {@code GET /v1/accounts/{id}/entries} (its postings,
 * newest first) and {@code GET /v1/accounts/{id}/balance?at=} (its balance at a past time).
 */
@RestController
@Tag(name = "Accounts")
class AccountHistoryController {

    private static final Set<String> ENTRY_PARAMETERS = Set.of("limit", "starting_after");
    private static final Set<String> BALANCE_PARAMETERS = Set.of("at");

    private final AccountEntryQueries entries;
    private final AccountBalances balances;
    private final ReadYourWrites readYourWrites;
    private final Clock clock;

    AccountHistoryController(AccountEntryQueries entries, AccountBalances balances, ReadYourWrites readYourWrites, Clock clock) {
        this.entries = entries;
        this.balances = balances;
        this.readYourWrites = readYourWrites;
        this.clock = clock;
    }

    /**
     * One posting on the account.
     *
     * @param id {@code ent_<account>_<n>}: the account's n-th entry
     * @param postedChange how the posted balance changed (negative = debit)
     * @param pendingChange how the pending holds changed (positive = a new hold)
     * @param balance the account's balance right after this entry
     * @param type the event that posted it; {@code object} the payment, refund's payment, transfer or deposit
     */
    record EntryView(String id, String account, String currency, long postedChange, long pendingChange,
            AccountView.Balance balance, String type, String object, String event, long position, Instant createdAt) {}

    record EntryList(List<EntryView> data, boolean hasMore) {}

    /** The account's balance at {@code at}: after its last entry at or before then. */
    record BalanceAt(String account, String currency, Instant at, AccountView.Balance balance, String lastEntry) {}

    @GetMapping(path = "/v1/accounts/{id}/entries", produces = "application/json")
    Mono<EntryList> entries(Caller.Merchant merchant, @PathVariable String id,
            @RequestParam(required = false) String limit,
            @RequestParam(name = "starting_after", required = false) String startingAfter,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query,
            @RequestHeader(name = ReadYourWrites.HEADER, required = false) Optional<String> minPosition) {
        QueryParameters.onlyKnown(query, ENTRY_PARAMETERS);
        int pageSize = QueryParameters.limit(limit);
        Optional<Long> before = Optional.ofNullable(startingAfter).map(cursor -> entryNumber(id, cursor));
        return own(merchant, id)
                .flatMap(account -> readYourWrites.await(minPosition, AccountEntriesProjection.NAME)
                        .then(entries.page(id, before, pageSize))
                        .map(slice -> new EntryList(
                                slice.items().stream().map(entry -> view(entry, account.overdraftLimitMinor())).toList(),
                                slice.hasMore())));
    }

    @GetMapping(path = "/v1/accounts/{id}/balance", produces = "application/json")
    Mono<BalanceAt> balanceAt(Caller.Merchant merchant, @PathVariable String id, @RequestParam(required = false) String at,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query,
            @RequestHeader(name = ReadYourWrites.HEADER, required = false) Optional<String> minPosition) {
        QueryParameters.onlyKnown(query, BALANCE_PARAMETERS);
        Instant when = QueryParameters.time(at, "at").orElse(clock.instant());
        return own(merchant, id)
                .flatMap(account -> readYourWrites.await(minPosition, AccountEntriesProjection.NAME)
                        .then(entries.lastAtOrBefore(id, when))
                        .map(last -> new BalanceAt(id, account.currency(), when,
                                AccountView.Balance.of(last.map(Entry::postedAfter).orElse(0L),
                                        last.map(Entry::pendingAfter).orElse(0L), account.overdraftLimitMinor()),
                                last.map(AccountHistoryController::entryId).orElse(null))));
    }

    private static EntryView view(Entry entry, long overdraftLimit) {
        return new EntryView(entryId(entry), entry.accountId(), entry.currency(), entry.postedDelta(), entry.pendingDelta(),
                AccountView.Balance.of(entry.postedAfter(), entry.pendingAfter(), overdraftLimit), entry.eventType(),
                entry.objectId(), "evt_" + entry.eventId().toString().replace("-", ""), entry.position(), entry.createdAt());
    }

    private static String entryId(Entry entry) {
        return "ent_" + entry.accountId().substring("acc_".length()) + "_" + entry.entryNo();
    }

    /** The entry number in a cursor {@code ent_<account>_<n>} of this account. */
    private static long entryNumber(String accountId, String cursor) {
        String prefix = "ent_" + (accountId.startsWith("acc_") ? accountId.substring(4) : accountId) + "_";
        if (cursor.startsWith(prefix)) {
            try {
                long number = Long.parseLong(cursor.substring(prefix.length()));
                if (number > 0) {
                    return number;
                }
            } catch (NumberFormatException e) {
                // answered below
            }
        }
        throw ApiException.field(ApiError.INVALID_REQUEST, "starting_after", "starting_after must be an entry id of this account.");
    }

    /** The account's balance row, if it is this merchant's; another merchant's account is 404. */
    private Mono<AccountBalances.BalanceRow> own(Caller.Merchant merchant, String accountId) {
        if (!Requests.isId(accountId, "acc_")) {
            return Mono.error(ApiException.notFound("account"));
        }
        return balances.find(accountId)
                .filter(row -> merchant.merchantId().equals(row.merchantId()))
                .switchIfEmpty(Mono.error(ApiException.notFound("account")));
    }
}
