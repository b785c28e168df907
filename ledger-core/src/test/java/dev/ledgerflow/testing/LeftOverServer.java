package dev.ledgerflow.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stops a server that an earlier run left behind in a data folder (its JVM was killed, so nothing
 * stopped the server it had started): the pid file the server writes in its data folder names it.
 * The embedded default calls this before it starts a server on the same folder, so a hard kill never
 * leaves a second PostgreSQL or Redis serving on a random port.
 */
final class LeftOverServer {

    private static final Duration STOP_WAIT = Duration.ofSeconds(30);

    private LeftOverServer() {}

    /**
     * @param pidFile the server's pid file (PostgreSQL's {@code postmaster.pid}: the pid on its first line)
     * @param command a word of the server's command line, so that a reused pid of another program is left alone
     * @return whether a live server was found and stopped
     */
    static boolean stop(Path pidFile, String command) {
        Optional<ProcessHandle> server = liveServer(pidFile, command);
        if (server.isEmpty()) {
            return false;
        }
        ProcessHandle process = server.get();
        System.out.println("Stopping the " + command + " server (pid " + process.pid() + ") an earlier run left in "
                + pidFile.getParent());
        process.destroy(); // SIGTERM: PostgreSQL shuts down (its clients died with the earlier JVM), Redis saves and exits
        try {
            process.onExit().get(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            process.destroyForcibly();
            process.onExit().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + command + " pid " + process.pid(), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
        return true;
    }

    static Optional<ProcessHandle> liveServer(Path pidFile, String command) {
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        try {
            String firstLine = Files.readAllLines(pidFile).stream().findFirst().orElse("").strip();
            if (firstLine.isEmpty() || !firstLine.chars().allMatch(Character::isDigit)) {
                return Optional.empty();
            }
            return ProcessHandle.of(Long.parseLong(firstLine))
                    .filter(ProcessHandle::isAlive)
                    .filter(process -> process.info().command().map(c -> c.contains(command)).orElse(false));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
