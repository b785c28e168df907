package dev.ledgerflow.projections;

import dev.ledgerflow.projections.balancemonitor.BalanceMonitorsProjection;
import dev.ledgerflow.projections.entry.AccountEntriesProjection;
import dev.ledgerflow.projections.projector.Projection;
import dev.ledgerflow.projections.transaction.TransactionsProjection;
import dev.ledgerflow.projections.volume.VolumeProjection;
import java.util.List;

/** The read models of the service, each a {@link Projection} of the event log. */
public final class ReadModels {

    private ReadModels() {}

    /** Transactions, volume reports, account entry history and balance monitors. */
    public static List<Projection> all() {
        return List.of(TransactionsProjection.definition(), VolumeProjection.definition(), AccountEntriesProjection.definition(),
                BalanceMonitorsProjection.definition());
    }
}
