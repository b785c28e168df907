package dev.ledgerflow.projections.logchain;

import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import reactor.core.publisher.Mono;

/**
 * The hash chain of the event log (migration V40): every event's {@code hash} is
 * {@code sha256(previous hash || the event's canonical bytes)}, written by the append. This reads it
 * back: a range walked and recomputed in position order, the head, and the hashes of given events.
 */
public final class LogChain {

    /** The previous hash of the first event of the log. */
    public static final String GENESIS_HASH = "0".repeat(64);

    private static final String GENESIS = "'\\x" + GENESIS_HASH + "'::bytea";

    // One page of the range, each event's hash recomputed from the stored hash of the event before it
    // (lag over the page; for the first, the last event before the range): an edited event breaks at
    // itself, an edited hash at itself, a deleted event at the one after it.
    private static final String VERIFY = "with page as ("
            + " select e.position, e.stream_id, e.hash, ledger_event_bytes(e.stream_id, e.stream_version, e.event_id,"
            + " e.type, e.payload, e.metadata, e.recorded_at, e.position) as bytes"
            + " from events e where e.position >= $1 and e.position <= $2 order by e.position limit $3),"
            + " checked as (select p.position, p.stream_id, p.hash, sha256(coalesce(lag(p.hash) over (order by p.position),"
            + " (select b.hash from events b where b.position < $1 order by b.position desc limit 1), " + GENESIS
            + ") || p.bytes) as expected from page p)"
            + " select (select count(*) from checked) as checked,"
            + " (select c.position from checked c order by c.position desc limit 1) as last_position,"
            + " (select encode(c.hash, 'hex') from checked c order by c.position desc limit 1) as last_hash,"
            + " f.position as break_position, f.stream_id as break_stream, encode(f.expected, 'hex') as break_expected,"
            + " encode(f.hash, 'hex') as break_found, h.position as head_position, encode(h.hash, 'hex') as head_hash"
            + " from log_chain_head h left join lateral (select c.* from checked c where c.expected is distinct from c.hash"
            + " order by c.position limit 1) f on true";

    private static final String HEAD = "select position as head_position, encode(hash, 'hex') as head_hash from log_chain_head";

    private static final String HASHES = "select e.position, encode(e.hash, 'hex') as hash,"
            + " encode(coalesce((select p.hash from events p where p.position < e.position order by p.position desc limit 1), "
            + GENESIS + "), 'hex') as previous_hash from events e where e.position = any($1)";

    private static final String LAST_OF_STREAM = "select position, stream_version from events where stream_id = $1"
            + " order by stream_version desc limit 1";

    private final ConnectionFactory connections;

    public LogChain(ConnectionFactory connections) {
        this.connections = connections;
    }

    /** The last event chained and its hash (position 0 and {@link #GENESIS_HASH} on an empty log). */
    public record Head(long position, String hash) {}

    /** An event's hash and the hash of the event before it in the log, both hex. */
    public record Link(long position, String hash, String previousHash) {}

    /**
     * Where the chain breaks.
     *
     * @param reason {@code hash_mismatch}: the event's stored hash is not sha256(previous || its bytes);
     *     {@code head_mismatch}: the log ends elsewhere, or on another hash, than the head records
     *     (events removed from its end, or the head edited)
     * @param position the event, or for a head mismatch the position the head names
     * @param streamId the event's stream (null for a head mismatch)
     * @param expected the hash recomputed (for a head mismatch: the head's)
     * @param found the hash stored (for a head mismatch: the last event's, null when there is none)
     */
    public record Break(String reason, long position, String streamId, String expected, String found) {}

    /**
     * One walk over {@code [from, to]}, at most {@code limit} events.
     *
     * @param checked events recomputed
     * @param lastPosition the last of them (null when none)
     * @param lastHash its hash
     * @param complete whether the walk reached {@code to} (else page on from {@code lastPosition + 1})
     * @param firstBreak null when every link held
     */
    public record Verification(long from, long to, long checked, Long lastPosition, String lastHash, boolean complete,
            Break firstBreak, Head head) {

        public boolean ok() {
            return firstBreak == null;
        }
    }

    /** Recomputes the chain over positions {@code from} to {@code to} (inclusive), at most {@code limit} events. */
    public Mono<Verification> verify(long from, long to, int limit) {
        return Sql.query(connections, VERIFY, s -> s.bind("$1", from).bind("$2", to).bind("$3", limit), row -> {
                    long checked = row.get("checked", Long.class);
                    Long lastPosition = row.get("last_position", Long.class);
                    String lastHash = row.get("last_hash", String.class);
                    Head head = head(row);
                    boolean complete = checked < limit || (lastPosition != null && lastPosition >= to);
                    Break found = null;
                    Long breakPosition = row.get("break_position", Long.class);
                    if (breakPosition != null) {
                        found = new Break("hash_mismatch", breakPosition, row.get("break_stream", String.class),
                                row.get("break_expected", String.class), row.get("break_found", String.class));
                    } else if (complete && to >= head.position()) {
                        // The walk reached the head: the log must end where, and on what, the head says.
                        boolean endsAtHead = lastPosition == null
                                ? head.position() < from
                                : lastPosition == head.position() && lastHash.equals(head.hash());
                        if (!endsAtHead) {
                            found = new Break("head_mismatch", head.position(), null, head.hash(), lastHash);
                        }
                    }
                    return new Verification(from, to, checked, lastPosition, lastHash, complete, found, head);
                })
                .single();
    }

    /** The chain's head now. */
    public Mono<Head> head() {
        return Sql.query(connections, HEAD, Function.identity(), LogChain::head).single();
    }

    /** The last event of a stream: its position and version (empty for a stream without events). */
    public record StreamEnd(long position, long version) {}

    /** Where {@code streamId} ends, if it has events. */
    public Mono<StreamEnd> endOf(String streamId) {
        return Sql.query(connections, LAST_OF_STREAM, s -> s.bind("$1", streamId),
                row -> new StreamEnd(row.get("position", Long.class), row.get("stream_version", Long.class))).next();
    }

    /** The hashes of these events and of the events before them, by position (absent positions left out). */
    public Mono<Map<Long, Link>> links(List<Long> positions) {
        if (positions.isEmpty()) {
            return Mono.just(Map.of());
        }
        return Sql.query(connections, HASHES, s -> s.bind("$1", positions.toArray(Long[]::new)),
                        row -> new Link(row.get("position", Long.class), row.get("hash", String.class),
                                row.get("previous_hash", String.class)))
                .collect(Collectors.toMap(Link::position, link -> link));
    }

    private static Head head(Readable row) {
        return new Head(row.get("head_position", Long.class), row.get("head_hash", String.class));
    }
}
