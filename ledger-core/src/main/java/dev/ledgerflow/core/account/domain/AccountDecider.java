package dev.ledgerflow.core.account.domain;

import dev.ledgerflow.core.account.domain.AccountCommand.OpenAccount;
import dev.ledgerflow.core.account.domain.AccountEvent.AccountOpened;
import dev.ledgerflow.core.account.domain.AccountState.Account;
import dev.ledgerflow.core.account.domain.AccountState.NoAccount;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Decision;
import dev.ledgerflow.core.money.domain.Money;

/** The decider of one account stream ({@code acc_…}). */
public final class AccountDecider implements Decider<AccountCommand, AccountState, AccountEvent, AccountRejection> {

    @Override
    public AccountState initialState() {
        return new NoAccount();
    }

    @Override
    public Decision<AccountEvent, AccountRejection> decide(AccountCommand command, AccountState state) {
        return switch (command) {
            case OpenAccount open -> open(open, state);
        };
    }

    @Override
    public AccountState evolve(AccountState state, AccountEvent event) {
        return switch (event) {
            case AccountOpened opened -> switch (state) {
                case NoAccount none -> new Account(opened.accountId(), opened.merchantId(), opened.currency(),
                        opened.overdraftLimitMinor(), opened.metadata(), opened.at());
                case Account account -> throw new IllegalStateException(
                        "corrupt stream: " + opened.type() + " on open account " + account.accountId());
            };
        };
    }

    private static Decision<AccountEvent, AccountRejection> open(OpenAccount command, AccountState state) {
        if (command.overdraftLimitMinor() < 0 || command.overdraftLimitMinor() > Money.AMOUNT_MAX_MINOR) {
            return Decision.rejected(AccountRejection.OVERDRAFT_LIMIT_INVALID);
        }
        if (state instanceof Account) {
            return Decision.rejected(AccountRejection.ACCOUNT_EXISTS);
        }
        return Decision.accepted(new AccountOpened(command.accountId(), command.merchantId(), command.currency(),
                command.overdraftLimitMinor(), command.metadata(), command.at()));
    }
}
