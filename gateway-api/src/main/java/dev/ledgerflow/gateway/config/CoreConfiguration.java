package dev.ledgerflow.gateway.config;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Settings that every feature shares. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({LedgerflowProperties.class, ConsumersProperties.class})
class CoreConfiguration {

    @Bean
    java.time.Clock clock() {
        return java.time.Clock.systemUTC();
    }
}
