package dev.ledgerflow.gateway.openapi;

import dev.ledgerflow.gateway.auth.Caller;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The OpenAPI document at {@code /v3/api-docs}, generated from the controllers; a browsable page at {@code /swagger-ui.html}. */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static {
        // The caller comes from the API key, not from a request parameter.
        SpringDocUtils.getConfig().addRequestWrapperToIgnore(Caller.class, Caller.Merchant.class, Caller.Admin.class);
    }

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
}
