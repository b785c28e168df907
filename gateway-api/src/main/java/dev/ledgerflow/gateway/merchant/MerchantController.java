package dev.ledgerflow.gateway.merchant;

import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.gateway.auth.ApiKeys;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code /v1/merchants}: the admin creates merchants; each gets an API key, shown only here. */
@RestController
@Tag(name = "Merchants", description = "Admin key only")
class MerchantController {

    private final MerchantRepository merchants;
    private final Clock clock;

    MerchantController(MerchantRepository merchants, Clock clock) {
        this.merchants = merchants;
        this.clock = clock;
    }

    record CreateMerchantRequest(String name) {}

    record MerchantCreated(String id, String name, String apiKey, Instant createdAt) {}

    @PostMapping(path = "/v1/merchants", consumes = "application/json", produces = "application/json")
    @ResponseStatus(HttpStatus.CREATED)
    Mono<MerchantCreated> create(Caller.Admin admin, @RequestBody CreateMerchantRequest request) {
        if (request.name() == null || request.name().isBlank() || request.name().length() > 200) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "name", "name is required: 1 to 200 characters.");
        }
        Instant now = clock.instant();
        var merchant = new MerchantRepository.Merchant(Ids.newId("mer", now), request.name().strip(), now);
        String apiKey = ApiKeys.newKey();
        return merchants.insert(merchant, Ids.newId("key", now), apiKey)
                .thenReturn(new MerchantCreated(merchant.id(), merchant.name(), apiKey, merchant.createdAt()));
    }
}
