package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.pool.ConnectionPool;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The operators' reads of the webhook tables across merchants: the queue per endpoint, and whose an id is. */
@Repository
class WebhookAdminQueries {

    /** One endpoint's share of the queue; {@code scheduled} are failed deliveries waiting for their next attempt. */
    record EndpointQueue(String id, String merchant, String url, String status, long pending, long scheduled, long dead,
            long succeeded, long oldestDueAgeMs) {}

    private final ConnectionPool pool;

    WebhookAdminQueries(ConnectionPool pool) {
        this.pool = pool;
    }

    /** Every endpoint with its deliveries counted by status, those with dead deliveries first (at most 500). */
    Flux<EndpointQueue> endpoints() {
        return Sql.query(pool, "select e.id, e.merchant_id, e.url, e.status,"
                        + " count(d.id) filter (where d.status = 'pending') as pending,"
                        + " count(d.id) filter (where d.status = 'failed') as scheduled,"
                        + " count(d.id) filter (where d.status = 'dead') as dead,"
                        + " count(d.id) filter (where d.status = 'succeeded') as succeeded,"
                        + " coalesce(extract(epoch from now() - min(d.next_attempt_at) filter (where d.status in ('pending', 'failed')"
                        + "   and d.next_attempt_at <= now())) * 1000, 0)::bigint as oldest_ms"
                        + " from webhook_endpoints e left join webhook_deliveries d on d.endpoint_id = e.id"
                        + " group by e.id order by count(d.id) filter (where d.status = 'dead') desc, e.created_at desc limit 500",
                s -> s,
                row -> new EndpointQueue(row.get("id", String.class), row.get("merchant_id", String.class),
                        row.get("url", String.class), row.get("status", String.class), row.get("pending", Long.class),
                        row.get("scheduled", Long.class), row.get("dead", Long.class), row.get("succeeded", Long.class),
                        Math.max(0, row.get("oldest_ms", Long.class))));
    }

    /** The ids of the endpoint's dead deliveries, oldest first. */
    Flux<String> deadDeliveryIds(String endpointId, int limit) {
        return Sql.query(pool, "select id from webhook_deliveries where endpoint_id = $1 and status = 'dead' order by seq limit $2",
                s -> s.bind("$1", endpointId).bind("$2", limit), row -> row.get("id", String.class));
    }

    Mono<String> merchantOfEndpoint(String id) {
        return merchantOf("select merchant_id from webhook_endpoints where id = $1", id);
    }

    Mono<String> merchantOfDelivery(String id) {
        return merchantOf("select merchant_id from webhook_deliveries where id = $1", id);
    }

    private Mono<String> merchantOf(String sql, String id) {
        return Sql.query(pool, sql, s -> s.bind("$1", id), row -> row.get("merchant_id", String.class)).next();
    }
}
