package dev.ledgerflow.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's walk-through, as {@code docs/walkthrough.sh}, runs from start to end against the embedded
 * default started the way README says, with the two export lines its banner prints: so the commands
 * README shows can never drift from the API again.
 */
class WalkthroughScriptTest {

    @TempDir
    Path data;

    @Test
    void the_walkthrough_runs_against_the_embedded_default_and_ends_with_a_refunded_payment() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")) || Files.isExecutable(Path.of("/bin/curl")),
                "the walk-through needs curl (apt-get install curl)");
        Path script = Path.of("..", "docs", "walkthrough.sh").toAbsolutePath().normalize();
        assertThat(script).exists();
        try (LedgerflowProcess service = LedgerflowProcess.start(data, Map.of())) {
            Path output = data.resolve("walkthrough.out");
            ProcessBuilder builder = new ProcessBuilder("bash", script.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().put("BASE", service.baseUrl());
            builder.environment().put("KEY", service.demoKey);
            builder.environment().put("LEDGER_ADMIN_KEY", service.adminKey);
            Process run = builder.start();
            boolean ended = run.waitFor(3, TimeUnit.MINUTES);
            if (!ended) {
                run.destroyForcibly();
            }
            String printed = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(ended).as("the walk-through ended; it printed:\n" + printed).isTrue();
            assertThat(run.exitValue()).as("the walk-through's exit; it printed:\n" + printed).isZero();
            assertThat(printed).contains("Walk-through done: payment pay_").contains("captured and refunded");
        }
    }
}
