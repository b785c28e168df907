package dev.ledgerflow.projections.projector;

import io.r2dbc.spi.Connection;
import reactor.core.publisher.Mono;

/**
 * Runs inside a page's transaction after its rows and its checkpoint are written, just before the
 * commit. Production uses {@link #NONE}; tests use it to crash a projector at the worst moment.
 */
@FunctionalInterface
public interface PageHook {

    PageHook NONE = (projection, generation, connection, page) -> Mono.empty();

    Mono<Void> beforeCommit(String projection, int generation, Connection connection, PageRange page);
}
