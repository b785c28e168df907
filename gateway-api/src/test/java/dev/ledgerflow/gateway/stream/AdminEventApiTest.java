package dev.ledgerflow.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/** The operators' event log: a live tail of every merchant's events, filtered, and one stream's history. */
class AdminEventApiTest extends ApiTestBase {

    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() {};

    @LocalServerPort
    int port;

    ConnectionProvider connections;
    WebClient client;

    @BeforeEach
    void setUp() {
        connections = ConnectionProvider.newConnection();
        client = WebClient.builder().baseUrl("http://localhost:" + port)
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(connections))).build();
    }

    @AfterEach
    void tearDown() {
        connections.dispose();
    }

    @Test
    void the_tail_shows_every_merchants_events_of_the_chosen_type_as_they_happen() {
        ApiClient one = ApiClient.newMerchant(http);
        ApiClient other = ApiClient.newMerchant(http);
        List<ServerSentEvent<String>> received = new CopyOnWriteArrayList<>();
        Disposable tail = client.get().uri("/admin/events/stream?type=account.created")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY)
                .accept(MediaType.TEXT_EVENT_STREAM).retrieve().bodyToFlux(SSE)
                .doOnNext(received::add).subscribe();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> received.stream().anyMatch(e -> "connected".equals(e.comment())));
            String first = one.openAccount("EUR", 0);
            one.deposit(first, 100); // deposit.posted: filtered out
            String second = other.openAccount("USD", 0);
            await().atMost(Duration.ofSeconds(20)).until(() -> received.stream().filter(e -> e.event() != null).count() == 2);
            assertThat(received.stream().filter(e -> e.event() != null).map(ServerSentEvent::data))
                    .satisfiesExactly(d -> assertThat(d).contains("\"stream\":\"" + first), d -> assertThat(d).contains("\"stream\":\"" + second));
            assertThat(received.stream().filter(e -> e.event() != null).map(ServerSentEvent::event)).containsOnly("account.created");
        } finally {
            tail.dispose();
        }
    }

    @Test
    void an_operator_opens_one_streams_history() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String account = merchant.openAccount("EUR", 0);
        http.get().uri("/admin/streams/" + account + "/events").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY)
                .exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.stream").isEqualTo(account)
                .jsonPath("$.data[0].type").isEqualTo("account.created")
                .jsonPath("$.data[0].position").isNumber();
        http.get().uri("/admin/streams/acc_nope/events").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY)
                .exchange().expectStatus().isNotFound();
    }

    @Test
    void both_need_the_admin_key_and_unknown_parameters_are_400() {
        ApiClient merchant = ApiClient.newMerchant(http);
        http.get().uri("/admin/events/stream").header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .exchange().expectStatus().isUnauthorized();
        http.get().uri("/admin/streams/acc_x/events").exchange().expectStatus().isUnauthorized();
        http.get().uri("/admin/events/stream?colour=red").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY)
                .exchange().expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("invalid_request");
    }
}
