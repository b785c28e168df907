package dev.ledgerflow.core.posting.domain;

import java.util.List;

/**
 * An event that may move money: it lists its postings, so that the shell can turn them into balance
 * changes appended in the same transaction, and projections can build balances from the log.
 */
public interface HasPostings {

    /** The postings of this event; empty when it moves nothing. Posted deltas always balance per currency. */
    List<Posting> postings();
}
