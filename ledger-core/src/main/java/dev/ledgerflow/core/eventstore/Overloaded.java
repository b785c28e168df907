package dev.ledgerflow.core.eventstore;

/**
 * An append refused at once, before anything was written, because the store already holds as many
 * appends waiting to be written as it may: the caller answers "overloaded, retry later" instead of
 * letting latency grow without bound. Nothing of the refused append was stored.
 */
public final class Overloaded extends RuntimeException {

    public Overloaded(int waiting) {
        super(waiting + " appends are already waiting to be written", null, false, false);
    }
}
