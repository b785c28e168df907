package dev.ledgerflow.bench;

import java.util.List;

/** The acquirer's Prometheus counters of running instances, summed. */
final class AcquirerCounters {

    private AcquirerCounters() {}

    /** {@code ledger_acquirer_charges_total} summed over the instances at these base URLs. */
    static double charges(List<String> baseUrls) {
        return Prometheus.sum(baseUrls, "ledger_acquirer_charges_total");
    }
}
