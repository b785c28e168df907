package dev.ledgerflow.gateway.cluster;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Running more than one instance on one database, bound from {@code ledger.cluster.*}
 * ({@code LEDGER_CLUSTER_PARTITIONS}, {@code LEDGER_CLUSTER_LEASE_TTL}, …); see docs/scale-out.md.
 *
 * @param instanceId this instance's name among the others; empty: the host name and a random suffix
 * @param partitions partitions of the log for the payment processor and the webhook dispatcher; the
 *     same on every instance (an instance with another number refuses to join while others hold leases)
 * @param leaseTtl a lease not renewed for this long is taken over: with the heartbeat interval, the
 *     longest a crashed instance's work waits for another
 * @param heartbeatInterval how often an instance renews all its leases, one statement, and rebalances
 */
@ConfigurationProperties("ledger.cluster")
public record ClusterProperties(
        String instanceId,
        @DefaultValue("16") int partitions,
        @DefaultValue("6s") Duration leaseTtl,
        @DefaultValue("2s") Duration heartbeatInterval) {}
