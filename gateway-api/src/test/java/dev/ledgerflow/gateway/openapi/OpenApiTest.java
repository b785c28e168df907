package dev.ledgerflow.gateway.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiTestBase;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class OpenApiTest extends ApiTestBase {

    private JsonNode document() {
        String body = http.get().uri("/v3/api-docs").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        return JsonMapper.builder().build().readTree(body);
    }

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
    void every_operation_has_one_tag_and_every_tag_is_described() {
        JsonNode document = document();
        Set<String> described = new HashSet<>();
        for (JsonNode tag : document.get("tags")) {
            assertThat(tag.path("description").asString()).as("the description of tag %s", tag.get("name")).isNotBlank();
            described.add(tag.get("name").asString());
        }
        Set<String> used = new HashSet<>();
        document.get("paths").properties().forEach(path -> path.getValue().properties().forEach(operation -> {
            JsonNode tags = operation.getValue().path("tags");
            assertThat(tags.size()).as("the tags of %s %s", operation.getKey(), path.getKey()).isEqualTo(1);
            used.add(tags.get(0).asString());
        }));
        assertThat(described).isEqualTo(used).contains("Payments", "Transfers", "Ledger transactions", "Accounts");
    }

    @Test
    void the_main_calls_have_request_and_response_examples() {
        JsonNode paths = document().get("paths");

        assertThat(paths.at("/~1v1~1payments/post/requestBody/content/application~1json/examples/example/value/source/number")
                .asString()).isEqualTo("4242424242424242");
        assertThat(paths.at("/~1v1~1payments/post/responses/202/content/application~1json/examples/example/value/status")
                .asString()).isEqualTo("processing");
        assertThat(paths.at("/~1v1~1payments~1{id}~1refunds/post/requestBody/content/application~1json/examples/example/value/amount")
                .asLong()).isEqualTo(1000);
        assertThat(paths.at("/~1v1~1payments~1{id}~1refunds/post/responses/202/content/application~1json/examples/example/value/status")
                .asString()).isEqualTo("pending");
        assertThat(paths.at("/~1v1~1transfers/post/requestBody/content/application~1json/examples/example/value/from_account")
                .asString()).startsWith("acc_");
        assertThat(paths.at("/~1v1~1transfers/post/responses/201/content/application~1json/examples/example/value/status")
                .asString()).isEqualTo("posted");
        assertThat(paths.at("/~1v1~1ledger-transactions/post/requestBody/content/application~1json/examples/example/value/postings")
                .size()).isEqualTo(2);
        assertThat(paths.at("/~1v1~1ledger-transactions/post/responses/201/content/application~1json/examples/example/value/id")
                .asString()).startsWith("ltx_");
    }

    @Test
    void swagger_ui_sorts_tags_and_operations() {
        http.get().uri("/v3/api-docs/swagger-config").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.tagsSorter").isEqualTo("alpha")
                .jsonPath("$.operationsSorter").isEqualTo("alpha");
    }

    @Test
    void a_browsable_page_serves_the_document() {
        http.get().uri("/swagger-ui/index.html").exchange().expectStatus().isOk();
    }
}
