package dev.ledgerflow.bench;

import java.time.Duration;
import java.util.List;
import reactor.netty.http.client.HttpClient;

/** The acquirer's Prometheus counters of running instances, summed. */
final class AcquirerCounters {

    private AcquirerCounters() {}

    /** {@code ledger_acquirer_charges_total} summed over the instances at these base URLs. */
    static double charges(List<String> baseUrls) {
        double sum = 0;
        for (String baseUrl : baseUrls) {
            String text = HttpClient.create().baseUrl(baseUrl).get().uri("/actuator/prometheus")
                    .responseContent().aggregate().asString().block(Duration.ofSeconds(30));
            for (String line : text.split("\n")) {
                if (line.startsWith("ledger_acquirer_charges_total")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return sum;
    }
}
