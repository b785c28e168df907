package dev.ledgerflow.gateway.openapi;

import dev.ledgerflow.gateway.ApiTestBase;
import org.junit.jupiter.api.Test;

class OpenApiTest extends ApiTestBase {

    @Test
    void the_openapi_document_describes_the_endpoints() {
        http.get().uri("/v3/api-docs").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.openapi").exists()
                .jsonPath("$.paths['/v1/payments']").exists()
                .jsonPath("$.paths['/v1/payments/{id}/refunds']").exists()
                .jsonPath("$.paths['/v1/transfers']").exists()
                .jsonPath("$.paths['/v1/accounts']").exists()
                .jsonPath("$.paths['/v1/merchants']").exists()
                .jsonPath("$.paths['/v1/payments'].post.parameters[?(@.name == 'merchant')]").doesNotExist()
                .jsonPath("$.components.securitySchemes.apiKey.scheme").isEqualTo("bearer");
    }

    @Test
    void a_browsable_page_serves_the_document() {
        http.get().uri("/swagger-ui/index.html").exchange().expectStatus().isOk();
    }
}
