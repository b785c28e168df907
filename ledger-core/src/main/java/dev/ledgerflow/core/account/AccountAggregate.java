package dev.ledgerflow.core.account;

import dev.ledgerflow.core.account.domain.AccountCommand;
import dev.ledgerflow.core.account.domain.AccountDecider;
import dev.ledgerflow.core.account.domain.AccountEvent;
import dev.ledgerflow.core.account.domain.AccountEvent.AccountOpened;
import dev.ledgerflow.core.account.domain.AccountRejection;
import dev.ledgerflow.core.account.domain.AccountState;
import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.command.Aggregate;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.eventstore.AccountOpening;
import java.util.List;
import java.util.Map;

/** Accounts ({@code acc_…} streams): opening one creates its guarded balance row. */
public final class AccountAggregate implements Aggregate<AccountCommand, AccountState, AccountEvent, AccountRejection> {

    public static final AccountAggregate INSTANCE = new AccountAggregate();

    private static final AccountDecider DECIDER = new AccountDecider();
    private static final EventCodec<AccountEvent> CODEC =
            new EventCodec<>(Map.of(AccountOpened.TYPE, AccountOpened.class), AccountEvent::type);

    private AccountAggregate() {}

    @Override
    public Decider<AccountCommand, AccountState, AccountEvent, AccountRejection> decider() {
        return DECIDER;
    }

    @Override
    public EventCodec<AccountEvent> codec() {
        return CODEC;
    }

    @Override
    public Object publicObject(AccountState stateAfter, AccountEvent event) {
        return AccountView.opened((AccountState.Account) stateAfter);
    }

    @Override
    public List<AccountOpening> accountOpenings(AccountEvent event) {
        return switch (event) {
            case AccountOpened opened -> List.of(new AccountOpening(
                    opened.accountId(), opened.currency().code(), opened.merchantId(), opened.overdraftLimitMinor()));
        };
    }
}
