package dev.ledgerflow.gateway.config;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.EventStore;
import io.r2dbc.pool.ConnectionPool;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The write side's shell: command execution over the event store, inline balance reads. */
@Configuration(proxyBeanMethods = false)
class LedgerCoreConfiguration {

    @Bean
    CommandExecutor commandExecutor(EventStore eventStore) {
        return new CommandExecutor(eventStore);
    }

    @Bean
    AccountBalances accountBalances(ConnectionPool pool) {
        return new AccountBalances(pool);
    }
}
