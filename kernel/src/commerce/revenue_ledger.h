// The revenue ledger: double-entry journals in lore_ledger_entries, written in the transaction
// that moves the money's order. A payment debits the provider's account (it holds the buyer's
// money for us) and credits the platform's fee and the creator's share; a refund reverses the
// part of each that went back. Every journal sums to zero, so the ledger always does.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"
#include "lore/sdk/payments.h"

namespace lore {

struct LedgerEntry {
  std::int64_t id = 0;
  std::string journal;  // "payment:<order>", "refund:<order>:<provider's refund id>"
  std::int64_t order_id = 0;
  std::string account;            // "provider:<name>", "platform:fees", "creator:<user id>"
  std::int64_t amount_minor = 0;  // positive: debit; negative: credit
  std::string currency;
  std::int64_t created_at_ms = 0;
};
void to_json(nlohmann::json& out, const LedgerEntry& e);

struct AccountBalance {
  std::string account;
  std::string currency;
  std::int64_t balance_minor = 0;  // the sum of its entries
};

// A creator's money in one currency, as the creator sees it (credits as positive amounts).
struct Earnings {
  std::string currency;
  std::int64_t earned_minor = 0;    // their shares of payments
  std::int64_t reversed_minor = 0;  // taken back by refunds
  std::int64_t net_minor = 0;       // earned - reversed
};

class RevenueLedger {
 public:
  RevenueLedger(sdk::db::Database& database, const sdk::Clock& clock,
                std::int64_t platform_fee_basis_points);

  // The platform's fee of a payment: rounded half up to a whole minor unit, so the platform's
  // and the creator's parts are both exact and add up to the payment.
  static std::int64_t fee_of(std::int64_t amount_minor, std::int64_t basis_points);
  // The part of `total` that `part` of `whole` stands for, rounded down, without overflow.
  static std::int64_t share(std::int64_t total, std::int64_t part, std::int64_t whole);

  // The journal of an order's payment, split with the fee in force now; the creator is the
  // course's. Written once: a second call for the same order is a database error.
  void record_payment(sdk::db::Transaction& tx, const sdk::payments::Order& order);
  // Reverses `amount_minor` of the order's payment: each account of the payment's journal gets
  // back its proportion (whatever the fee was then), the last refund exactly what remains, so
  // a full refund, in one part or many, brings every account of the order back to zero.
  // `refunded_before_minor`: what earlier refunds of the order gave back. An order paid before
  // the ledger existed has no journal: nothing is written (false).
  bool record_refund(sdk::db::Transaction& tx, const sdk::payments::Order& order,
                     const std::string& refund_ref, std::int64_t refunded_before_minor,
                     std::int64_t amount_minor);

  // Newest first, ids below `before_id` (0: from the newest); at most `limit`; only a
  // creator's own when `creator_id` is set.
  std::vector<LedgerEntry> entries(std::optional<std::int64_t> creator_id, std::int64_t before_id,
                                   int limit);
  std::vector<AccountBalance> balances();
  std::vector<Earnings> earnings(std::int64_t creator_id);

  static std::string creator_account(std::int64_t creator_id);
  static std::string provider_account(const std::string& provider);
  static constexpr const char* kPlatformAccount = "platform:fees";

 private:
  sdk::db::Database& database_;
  const sdk::Clock& clock_;
  std::int64_t fee_basis_points_;
};

}  // namespace lore
