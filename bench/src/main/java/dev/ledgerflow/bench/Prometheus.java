package dev.ledgerflow.bench;

import java.time.Duration;
import java.util.List;
import reactor.netty.http.client.HttpClient;

/** Reads a running service's {@code /actuator/prometheus}. */
final class Prometheus {

    private Prometheus() {}

    /** The sum of every series of {@code metric} (all its labels) over the instances at these base URLs. */
    static double sum(List<String> baseUrls, String metric) {
        double sum = 0;
        for (String baseUrl : baseUrls) {
            String text = HttpClient.create().baseUrl(baseUrl).get().uri("/actuator/prometheus")
                    .responseContent().aggregate().asString().block(Duration.ofSeconds(30));
            for (String line : text.split("\n")) {
                if (line.startsWith(metric) && (line.charAt(metric.length()) == ' ' || line.charAt(metric.length()) == '{')) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return sum;
    }
}
