package dev.ledgerflow.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The Ledgerflow service: HTTP API, feed consumers and wiring. */
@SpringBootApplication
public class LedgerflowApplication {

    public static void main(String[] args) {
        start(args);
    }

    public static ConfigurableApplicationContext start(String[] args) {
        return SpringApplication.run(LedgerflowApplication.class, args);
    }
}
