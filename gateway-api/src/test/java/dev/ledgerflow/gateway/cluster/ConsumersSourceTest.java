package dev.ledgerflow.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@code ledger.consumers.source=kafka} is refused at start-up without Kafka to read from. */
class ConsumersSourceTest {

    @Test
    void the_kafka_source_without_kafka_bootstrap_servers_refuses_to_start_and_says_what_is_missing() {
        try (TestCluster cluster = new TestCluster()) {
            assertThatThrownBy(() -> cluster.start("alone", "ledger.consumers.source=kafka"))
                    .hasStackTraceContaining("LEDGER_KAFKA_BOOTSTRAP");
            assertThatThrownBy(() -> cluster.start("alone", "ledger.consumers.source=kafka", "ledger.kafka-bootstrap= "))
                    .hasStackTraceContaining("LEDGER_KAFKA_BOOTSTRAP");
        }
    }
}
