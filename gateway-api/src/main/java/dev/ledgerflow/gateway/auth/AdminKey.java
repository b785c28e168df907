package dev.ledgerflow.gateway.auth;

import dev.ledgerflow.gateway.config.LedgerflowProperties;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The admin API key: {@code LEDGER_ADMIN_KEY}, or one generated and printed at start-up. */
public record AdminKey(String value) {

    private static final Logger log = LoggerFactory.getLogger(AdminKey.class);

    static AdminKey fromProperties(LedgerflowProperties properties) {
        if (properties.adminKey() != null && !properties.adminKey().isBlank()) {
            return new AdminKey(properties.adminKey());
        }
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        AdminKey generated = new AdminKey("ak_" + HexFormat.of().formatHex(bytes));
        log.warn("LEDGER_ADMIN_KEY is not set; generated admin key for this run: {}", generated.value());
        return generated;
    }

    @Override
    public String toString() {
        return "AdminKey[***]";
    }
}
