package dev.ledgerflow.gateway.payment;

import dev.ledgerflow.gateway.config.LedgerflowProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class CardFingerprintConfiguration {

    private static final Logger log = LoggerFactory.getLogger(CardFingerprintConfiguration.class);
    private static final String DEVELOPMENT_KEY = "ledgerflow-development-fingerprint-key";

    @Bean
    CardFingerprints cardFingerprints(LedgerflowProperties properties) {
        String key = properties.cardFingerprintKey();
        if (key == null || key.isBlank()) {
            log.warn("LEDGER_CARD_FINGERPRINT_KEY is not set: card fingerprints use a development key. Set a secret in production.");
            key = DEVELOPMENT_KEY;
        }
        return new CardFingerprints(key);
    }
}
