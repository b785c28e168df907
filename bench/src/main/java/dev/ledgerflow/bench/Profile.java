package dev.ledgerflow.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads the service's JFR recording ({@code --profile}) and says where its CPU samples fell: by the
 * library of the innermost non-JDK frame (Reactor, Jackson, Netty, r2dbc, Spring, Ledgerflow …), and
 * the Ledgerflow methods with the most samples on their stacks. Start-up (the main thread) is left out.
 */
final class Profile {

    private static final Map<String, String> LIBRARIES = new LinkedHashMap<>();

    static {
        LIBRARIES.put("tools.jackson.", "Jackson (JSON)");
        LIBRARIES.put("com.fasterxml.jackson.", "Jackson (JSON)");
        LIBRARIES.put("io.r2dbc.postgresql.", "r2dbc-postgresql (driver)");
        LIBRARIES.put("io.r2dbc.pool.", "r2dbc-pool");
        LIBRARIES.put("reactor.netty.", "Reactor Netty (HTTP)");
        LIBRARIES.put("io.netty.", "Netty (network)");
        LIBRARIES.put("reactor.core.", "Reactor (operators)");
        LIBRARIES.put("org.springframework.", "Spring (WebFlux, binding)");
        LIBRARIES.put("dev.ledgerflow.", "Ledgerflow (domain, codec, store)");
        LIBRARIES.put("io.lettuce.", "Lettuce (Redis)");
        LIBRARIES.put("io.micrometer.", "Micrometer");
    }

    private Profile() {}

    /** Markdown lines: the share of samples per library, then the top Ledgerflow methods (inclusive). */
    static List<String> summarize(Path recording) throws IOException {
        Map<String, Integer> byLibrary = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        int samples = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            if (!"jdk.ExecutionSample".equals(event.getEventType().getName()) || event.getStackTrace() == null) {
                continue;
            }
            var thread = event.getThread("sampledThread");
            if (thread != null && "main".equals(thread.getJavaName())) {
                continue;
            }
            samples++;
            String library = "JDK only";
            Set<String> seen = new HashSet<>();
            for (RecordedFrame frame : event.getStackTrace().getFrames()) {
                String type = frame.getMethod().getType().getName();
                if ("JDK only".equals(library)) {
                    for (var entry : LIBRARIES.entrySet()) {
                        if (type.startsWith(entry.getKey())) {
                            library = entry.getValue();
                            break;
                        }
                    }
                }
                if (type.startsWith("dev.ledgerflow.") && !type.contains("$$Lambda")) {
                    String method = type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
                    if (!method.contains("lambda$") && seen.add(method)) {
                        inclusive.merge(method, 1, Integer::sum);
                    }
                }
            }
            byLibrary.merge(library, 1, Integer::sum);
        }
        List<String> lines = new ArrayList<>();
        if (samples == 0) {
            return lines;
        }
        int total = samples;
        lines.add("CPU samples of the service's threads (" + total + ", JFR `profile` settings, start-up excluded), by the library of"
                + " the innermost frame outside the JDK:");
        lines.add("");
        byLibrary.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> lines.add(String.format("- %s: %.1f%%", e.getKey(), 100.0 * e.getValue() / total)));
        lines.add("");
        lines.add("Ledgerflow methods with the most samples on their stacks (inclusive):");
        lines.add("");
        inclusive.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(12)
                .forEach(e -> lines.add(String.format("- `%s`: %.1f%%", e.getKey(), 100.0 * e.getValue() / total)));
        return lines;
    }
}
