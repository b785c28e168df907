package dev.ledgerflow.gateway.config;

import dev.ledgerflow.core.eventstore.postgres.IdempotencyKeySweeper;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Expired idempotency keys are deleted in the background, at most {@code LEDGER_IDEMPOTENCY_SWEEP_BATCH_MAX}
 * a statement, every {@code LEDGER_IDEMPOTENCY_SWEEP_INTERVAL} (and at once again while a run finds a
 * full batch). Every instance sweeps; two sweeping at once only find each other's rows gone.
 */
@Configuration(proxyBeanMethods = false)
class IdempotencySweepConfiguration {

    @Bean(destroyMethod = "dispose")
    IdempotencyKeySweeper idempotencyKeySweeper(ConnectionPool pool, Clock clock, MeterRegistry meters,
            @Value("${ledger.idempotency-sweep-batch-max:1000}") int batchMax,
            @Value("${ledger.idempotency-sweep-interval:1m}") Duration interval) {
        return new IdempotencyKeySweeper(pool, clock, batchMax, interval, meters).start();
    }
}
