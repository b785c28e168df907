package dev.ledgerflow.gateway.config;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.feed.CheckpointStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The write side's shell: command execution over the event store, inline balance reads. */
@Configuration(proxyBeanMethods = false)
class LedgerCoreConfiguration {

    @Bean
    CommandExecutor commandExecutor(EventStore eventStore, LedgerflowProperties properties, MeterRegistry meters) {
        CommandExecutor executor = new CommandExecutor(eventStore, properties.cachedStreamsMax());
        Gauge.builder("ledger.streams.cached", executor, e -> e.cacheStats().streams())
                .description("Streams whose latest state the command executor remembers").register(meters);
        FunctionCounter.builder("ledger.streams.cache.hits", executor, e -> e.cacheStats().hits())
                .description("Commands and reads that found the stream's state remembered").register(meters);
        FunctionCounter.builder("ledger.streams.cache.misses", executor, e -> e.cacheStats().misses())
                .description("Commands and reads that found no remembered state of the stream (folded from its first event)").register(meters);
        return executor;
    }

    /** Every feed consumer's saved place (payment processor, webhook dispatcher, Kafka relay). */
    @Bean
    CheckpointStore checkpointStore(ConnectionPool pool) {
        return new CheckpointStore(pool);
    }

    @Bean
    AccountBalances accountBalances(ConnectionPool pool) {
        return new AccountBalances(pool);
    }
}
