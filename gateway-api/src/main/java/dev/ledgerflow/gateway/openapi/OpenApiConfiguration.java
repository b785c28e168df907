package dev.ledgerflow.gateway.openapi;

import dev.ledgerflow.gateway.auth.Caller;
import io.swagger.v3.core.util.Json;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.tags.Tag;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document at {@code /v3/api-docs}, generated from the controllers; a browsable page at
 * {@code /swagger-ui.html}. Here, in one place: the description of every tag the controllers use
 * ({@link #TAGS}), and request and response examples of the main calls ({@link #EXAMPLES}).
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static {
        // The caller comes from the API key, not from a request parameter.
        SpringDocUtils.getConfig().addRequestWrapperToIgnore(Caller.class, Caller.Merchant.class, Caller.Admin.class);
    }

    /** Every tag of the controllers ({@code @Tag}), described; a tag missing here fails OpenApiTest. */
    static final Map<String, String> TAGS = Map.ofEntries(
            Map.entry("Merchants", "Create a merchant and its first API key (admin key only)."),
            Map.entry("API keys", "A merchant's API keys (list, create, revoke) and short-lived stream tokens for browsers."),
            Map.entry("Accounts", "Ledger accounts: open, deposit into, read balances and the entries behind them."),
            Map.entry("Transfers", "Move money between two accounts of a merchant, at once and in full."),
            Map.entry("Ledger transactions", "Several postings at once, all or nothing: posted at once, or held (pending)"
                    + " to be posted in full or in part, voided, or expired later; posted ones can be reversed."),
            Map.entry("Balance monitors", "Watch an account's available or posted balance: a monitor fires once"
                    + " (balance_monitor.triggered, to webhooks and SSE) when the balance crosses its threshold, and"
                    + " re-arms only after the balance is back past the threshold by its hysteresis."),
            Map.entry("Payments", "Card, UPI and wallet payments: created as processing, then authorized or failed by the"
                    + " processor; captured (automatically or by hand) or canceled; refunded in full or in part."),
            Map.entry("Checkout", "Hosted checkout sessions: a page a customer pays on, with its two keyless endpoints."),
            Map.entry("Events", "The merchant's event feed, as pages or as a server-sent stream."),
            Map.entry("Analytics", "Money movements listed and exported (CSV), and volume reports."),
            Map.entry("Webhooks", "Webhook endpoints, their signed deliveries, attempts and retries."),
            Map.entry("Tamper-evident log", "The hash chain over the event log: verify it, publish and check signed"
                    + " checkpoints of its head, and the public key they are signed with."),
            Map.entry("Operations", "For operators (admin key): projections, cluster, invariants, webhook queue, event streams."));

    /** Examples of the main calls: method and path, then the request body and the answer (its status and body). */
    static final List<String[]> EXAMPLES = List.of(
            new String[] {"POST", "/v1/payments", """
                    {"amount":4200,"currency":"USD","capture_method":"manual","description":"Order 42",
                     "source":{"type":"card","number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}""", "202", """
                    {"id":"pay_01JEXAMPLE","status":"processing","amount":4200,"currency":"USD","amount_captured":0,
                     "amount_refunded":0,"capture_method":"manual","source":{"type":"card","brand":"visa","last4":"4242",
                     "fingerprint":"fp_3f1c9a","exp_month":12,"exp_year":2030},"description":"Order 42","metadata":{},
                     "failure_code":null,"created_at":"2026-01-05T10:15:30Z"}"""},
            new String[] {"POST", "/v1/payments/{id}/refunds", """
                    {"amount":1000,"reason":"requested_by_customer"}""", "202", """
                    {"id":"re_01JEXAMPLE","payment":"pay_01JEXAMPLE","amount":1000,"currency":"USD","status":"pending",
                     "reason":"requested_by_customer","failure_code":null,"created_at":"2026-01-05T10:20:00Z"}"""},
            new String[] {"POST", "/v1/transfers", """
                    {"from_account":"acc_01JEXAMPLEA","to_account":"acc_01JEXAMPLEB","amount":2500,"currency":"USD",
                     "description":"rent"}""", "201", """
                    {"id":"tr_01JEXAMPLE","status":"posted","from_account":"acc_01JEXAMPLEA","to_account":"acc_01JEXAMPLEB",
                     "amount":2500,"currency":"USD","description":"rent","created_at":"2026-01-05T10:15:30Z"}"""},
            new String[] {"POST", "/v1/ledger-transactions", """
                    {"postings":[{"from_account":"acc_01JEXAMPLEA","to_account":"acc_01JEXAMPLEB","amount":1000},
                                 {"from_account":"acc_01JEXAMPLEA","to_account":"acc_01JEXAMPLEC","amount":500}],
                     "description":"order 7 split"}""", "201", """
                    {"id":"ltx_01JEXAMPLE","status":"posted","amount":1500,"currency":"USD",
                     "postings":[{"from_account":"acc_01JEXAMPLEA","to_account":"acc_01JEXAMPLEB","amount":1000,
                                  "currency":"USD","amount_posted":1000},
                                 {"from_account":"acc_01JEXAMPLEA","to_account":"acc_01JEXAMPLEC","amount":500,
                                  "currency":"USD","amount_posted":500}],
                     "description":"order 7 split","metadata":{},"expires_at":null,
                     "created_at":"2026-01-05T10:15:30Z","updated_at":"2026-01-05T10:15:30Z"}"""});

    @Bean
    OpenAPI ledgerflowOpenApi() {
        return new OpenAPI()
                .info(new Info()
                        .title("Ledgerflow API")
                        .version("v1")
                        .description("Payments, refunds, transfers and accounts on an event-sourced ledger. JSON in snake_case;"
                                + " errors are RFC 9457 problems with a stable code; writes accept an Idempotency-Key and"
                                + " answer with a Ledger-Position header."))
                .components(new Components().addSecuritySchemes("apiKey",
                        new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                                .description("A merchant key (sk_…), or the admin key for /v1/merchants and /admin")))
                .addSecurityItem(new SecurityRequirement().addList("apiKey"));
    }

    @Bean
    OpenApiCustomizer tagsAndExamples() {
        return openApi -> {
            Set<String> used = new TreeSet<>();
            openApi.getPaths().values().forEach(item -> item.readOperations().forEach(operation -> {
                if (operation.getTags() != null) {
                    used.addAll(operation.getTags());
                }
            }));
            openApi.setTags(used.stream().map(name -> new Tag().name(name).description(TAGS.get(name))).toList());
            for (String[] example : EXAMPLES) {
                PathItem item = openApi.getPaths().get(example[1]);
                Operation operation = item == null ? null : item.readOperationsMap().get(PathItem.HttpMethod.valueOf(example[0]));
                if (operation == null) {
                    throw new IllegalStateException("An OpenAPI example names " + example[0] + " " + example[1] + ", which is no operation");
                }
                if (operation.getRequestBody() != null && operation.getRequestBody().getContent() != null) {
                    operation.getRequestBody().getContent().values().forEach(media -> media.addExamples("example", example(example[2])));
                }
                ApiResponse response = operation.getResponses().computeIfAbsent(example[3],
                        status -> new ApiResponse().description(status.equals("201") ? "Created" : "Accepted"));
                if (response.getContent() == null) {
                    response.setContent(new Content().addMediaType("application/json", new MediaType()));
                }
                response.getContent().values().forEach(media -> media.addExamples("example", example(example[4])));
            }
        };
    }

    private static Example example(String json) {
        try {
            return new Example().value(Json.mapper().readValue(json, Object.class));
        } catch (Exception e) {
            throw new IllegalStateException("An OpenAPI example is no JSON: " + json, e);
        }
    }
}
