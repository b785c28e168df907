package dev.ledgerflow.gateway.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.deposit.DepositAggregate;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.posting.domain.HasPostings;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.ledgertransaction.LedgerTransactionAggregate;
import dev.ledgerflow.core.transfer.TransferAggregate;
import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/** After a random workload, a fold of every event's postings gives exactly the balances the service reports. */
@TestPropertySource(properties = "ledger.acquirer-latency=1ms")
class BooksFoldTest extends ApiTestBase {

    @Autowired
    EventStore store;

    @Autowired
    AccountBalances balances;

    @Test
    @SuppressWarnings("unchecked")
    void folding_every_event_gives_the_balances_the_service_reports() {
        Random random = new Random(42);
        ApiClient merchant = ApiClient.newMerchant(http);
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String account = merchant.openAccount(i % 3 == 0 ? "EUR" : "USD", random.nextInt(3) * 500L);
            merchant.deposit(account, 1 + random.nextInt(5_000));
            accounts.add(account);
        }
        List<String> payments = new ArrayList<>();
        for (int step = 0; step < 150; step++) {
            String a = accounts.get(random.nextInt(accounts.size()));
            String b = accounts.get(random.nextInt(accounts.size()));
            long amount = 1 + random.nextInt(2_000);
            switch (random.nextInt(6)) {
                case 0 -> merchant.post("/v1/accounts/" + a + "/deposits", "{\"amount\":" + amount + "}");
                case 2 -> merchant.post("/v1/ledger-transactions", "{\"postings\":[{\"from_account\":\"" + a
                        + "\",\"to_account\":\"" + b + "\",\"amount\":" + amount + "},{\"from_account\":\"" + b
                        + "\",\"to_account\":\"" + accounts.get(random.nextInt(accounts.size())) + "\",\"amount\":"
                        + (1 + amount / 2) + "}]}");
                case 1 -> merchant.post("/v1/transfers", "{\"from_account\":\"" + a + "\",\"to_account\":\"" + b
                        + "\",\"amount\":" + amount + ",\"currency\":\"USD\"}");
                case 3 -> merchant.post("/v1/payments", "{\"amount\":" + amount + ",\"currency\":\"USD\",\"capture_method\":\""
                        + (random.nextBoolean() ? "manual" : "automatic") + "\",\"source\":{\"type\":\"account\",\"account\":\"" + a + "\"}}")
                        .expectBody(Map.class).value(p -> { if (p.get("id") != null) payments.add((String) p.get("id")); });
                case 4 -> merchant.post("/v1/payments", "{\"amount\":" + amount + ",\"currency\":\"USD\",\"capture_method\":\""
                        + (random.nextBoolean() ? "manual" : "automatic") + "\",\"source\":{\"type\":\"card\",\"number\":\""
                        + (random.nextInt(4) == 0 ? "4000000000000002" : "4242424242424242")
                        + "\",\"exp_month\":1,\"exp_year\":2099,\"cvc\":\"123\"}}")
                        .expectBody(Map.class).value(p -> payments.add((String) p.get("id")));
                default -> {
                    if (!payments.isEmpty()) {
                        String p = payments.get(random.nextInt(payments.size()));
                        String action = switch (random.nextInt(3)) {
                            case 0 -> "/capture";
                            case 1 -> "/refunds";
                            default -> "/cancel";
                        };
                        merchant.post("/v1/payments/" + p + action, random.nextBoolean() ? "{}" : "{\"amount\":" + (1 + amount / 4) + "}");
                    }
                }
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> payments.stream().noneMatch(p -> {
            Map<String, Object> payment = merchant.read("/v1/payments/" + p);
            List<Map<String, Object>> refunds = (List<Map<String, Object>>) merchant.read("/v1/payments/" + p + "/refunds").get("data");
            return "processing".equals(payment.get("status")) || refunds.stream().anyMatch(r -> "pending".equals(r.get("status")));
        }));

        Map<String, long[]> folded = foldPostings();
        Map<String, AccountBalances.BalanceRow> reported = new HashMap<>();
        for (String account : folded.keySet()) {
            reported.put(account, balances.find(account).block());
        }
        assertThat(folded).isNotEmpty();
        folded.forEach((account, sums) -> {
            assertThat(reported.get(account).postedMinor()).as("posted of " + account).isEqualTo(sums[0]);
            assertThat(reported.get(account).pendingMinor()).as("pending of " + account).isEqualTo(sums[1]);
        });
        for (String account : accounts) {
            Map<String, Object> balance = (Map<String, Object>) merchant.read("/v1/accounts/" + account).get("balance");
            assertThat(((Number) balance.get("posted")).longValue()).isEqualTo(folded.get(account)[0]);
            assertThat(((Number) balance.get("pending")).longValue()).isEqualTo(folded.get(account)[1]);
        }
        assertThat(balances.sumsPerCurrency().collectList().block())
                .allSatisfy(sum -> assertThat(sum.postedMinor()).as(sum.currency()).isZero());
    }

    private Map<String, long[]> foldPostings() {
        List<EventCodec<?>> codecs = List.of(PaymentAggregate.INSTANCE.codec(), TransferAggregate.INSTANCE.codec(),
                LedgerTransactionAggregate.INSTANCE.codec(),
                DepositAggregate.INSTANCE.codec());
        Map<String, long[]> sums = new HashMap<>();
        LogPosition after = LogPosition.START;
        while (true) {
            List<RecordedEvent> page = store.readLog(after, 1_000).collectList().block();
            if (page.isEmpty()) {
                return sums;
            }
            for (RecordedEvent recorded : page) {
                for (EventCodec<?> codec : codecs) {
                    if (codec.handles(recorded.type()) && codec.decode(recorded) instanceof HasPostings moving) {
                        for (Posting posting : moving.postings()) {
                            long[] sum = sums.computeIfAbsent(posting.accountId(), k -> new long[2]);
                            sum[0] += posting.postedDeltaMinor();
                            sum[1] += posting.pendingDeltaMinor();
                        }
                    }
                }
            }
            after = page.getLast().logPosition();
        }
    }
}
