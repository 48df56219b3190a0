#include "commerce/revenue_ledger.h"

#include <spdlog/spdlog.h>

#include "lore/sdk/clock.h"

namespace lore {

namespace db = sdk::db;

namespace {

// 128-bit products: an amount near the 64-bit limit times a fee or a part must not wrap.
// (__extension__: GCC and Clang have the type; -Wpedantic would flag it as non-ISO.)
__extension__ typedef __int128 Wide;

constexpr const char* kColumns =
    "id, journal, order_id, account, amount_minor, currency, created_at";

LedgerEntry entry_of(const db::Row& row) {
  return {row.get<std::int64_t>("id"),           row.get<std::string>("journal"),
          row.get<std::int64_t>("order_id"),     row.get<std::string>("account"),
          row.get<std::int64_t>("amount_minor"), row.get<std::string>("currency"),
          row.get<std::int64_t>("created_at")};
}

std::string payment_journal(std::int64_t order_id) { return "payment:" + std::to_string(order_id); }

struct Journal {
  const std::string& name;
  const sdk::payments::Order& order;
  std::int64_t at_ms;
};

void write_entry(db::Transaction& tx, const Journal& journal, const std::string& account,
                 std::int64_t amount_minor, db::Value creator_id) {
  if (amount_minor == 0) return;  // a 0% fee (or a 100% one) leaves that account out
  tx.execute(
      "INSERT INTO lore_ledger_entries (journal, order_id, account, creator_id, amount_minor, "
      "currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {journal.name, journal.order.id, account, std::move(creator_id), amount_minor,
       journal.order.price.currency, journal.at_ms});
}

}  // namespace

void to_json(nlohmann::json& out, const LedgerEntry& e) {
  out = {{"id", e.id},
         {"journal", e.journal},
         {"order_id", e.order_id},
         {"account", e.account},
         {"amount_minor", e.amount_minor},
         {"currency", e.currency},
         {"created_at", sdk::rfc3339(e.created_at_ms)}};
}

RevenueLedger::RevenueLedger(db::Database& database, const sdk::Clock& clock,
                             std::int64_t platform_fee_basis_points)
    : database_(database), clock_(clock), fee_basis_points_(platform_fee_basis_points) {}

std::int64_t RevenueLedger::fee_of(std::int64_t amount_minor, std::int64_t basis_points) {
  const Wide scaled = static_cast<Wide>(amount_minor) * basis_points;
  return static_cast<std::int64_t>((scaled + 5000) / 10000);
}

std::int64_t RevenueLedger::share(std::int64_t total, std::int64_t part, std::int64_t whole) {
  if (whole == 0) return 0;
  return static_cast<std::int64_t>(static_cast<Wide>(total) * part / whole);
}

std::string RevenueLedger::creator_account(std::int64_t creator_id) {
  return "creator:" + std::to_string(creator_id);
}

std::string RevenueLedger::provider_account(const std::string& provider) {
  return "provider:" + provider;
}

void RevenueLedger::record_payment(db::Transaction& tx, const sdk::payments::Order& order) {
  const auto course =
      tx.query_one("SELECT creator_id FROM lore_courses WHERE id = ?", {order.course_id});
  if (!course) throw db::Error(db::ErrorKind::invalid, "the order's course is gone");
  const auto creator = course->get<std::int64_t>("creator_id");
  const auto amount = order.price.amount_minor;
  const auto fee = fee_of(amount, fee_basis_points_);
  const auto name = payment_journal(order.id);
  const Journal journal{name, order, clock_.now_ms()};
  write_entry(tx, journal, provider_account(order.provider), amount, nullptr);
  write_entry(tx, journal, kPlatformAccount, -fee, nullptr);
  write_entry(tx, journal, creator_account(creator), -(amount - fee), creator);
}

bool RevenueLedger::record_refund(db::Transaction& tx, const sdk::payments::Order& order,
                                  const std::string& refund_ref, std::int64_t refunded_before_minor,
                                  std::int64_t amount_minor) {
  // The payment's journal: the fee it took and the creator it credited.
  bool paid = false;
  std::int64_t fee = 0;
  std::optional<std::int64_t> creator;
  for (const auto& row : tx.query(
           "SELECT account, creator_id, amount_minor FROM lore_ledger_entries WHERE journal = ?",
           {payment_journal(order.id)})) {
    paid = true;
    if (row.get<std::string>("account") == kPlatformAccount)
      fee = -row.get<std::int64_t>("amount_minor");
    else if (!row.is_null("creator_id"))
      creator = row.get<std::int64_t>("creator_id");
  }
  if (!paid) {
    spdlog::warn(
        "refund {} of order {}: the payment has no ledger journal (paid before the "
        "ledger existed); none written",
        refund_ref, order.id);
    return false;
  }
  const auto whole = order.price.amount_minor;
  // The fee goes back in proportion of what was refunded in all, the creator's share takes the
  // rest: after the last part both are back exactly where they started.
  const auto fee_back = share(fee, refunded_before_minor + amount_minor, whole) -
                        share(fee, refunded_before_minor, whole);
  const auto creator_back = amount_minor - fee_back;
  const auto name = "refund:" + std::to_string(order.id) + ":" + refund_ref;
  const Journal journal{name, order, clock_.now_ms()};
  write_entry(tx, journal, provider_account(order.provider), -amount_minor, nullptr);
  write_entry(tx, journal, kPlatformAccount, fee_back, nullptr);
  if (creator)
    write_entry(tx, journal, creator_account(*creator), creator_back, *creator);
  else if (creator_back != 0)
    throw db::Error(db::ErrorKind::invalid, "the payment's journal has no creator share");
  return true;
}

std::vector<LedgerEntry> RevenueLedger::entries(std::optional<std::int64_t> creator_id,
                                                std::int64_t before_id, int limit) {
  auto session = database_.session();
  std::string sql = std::string("SELECT ") + kColumns + " FROM lore_ledger_entries WHERE id < ?";
  std::vector<db::Value> params{before_id > 0 ? before_id : INT64_MAX};
  if (creator_id) {
    sql += " AND creator_id = ?";
    params.emplace_back(*creator_id);
  }
  sql += " ORDER BY id DESC LIMIT " + std::to_string(limit);
  std::vector<LedgerEntry> out;
  for (const auto& row : session.query(sql, params)) out.push_back(entry_of(row));
  return out;
}

std::vector<AccountBalance> RevenueLedger::balances() {
  auto session = database_.session();
  std::vector<AccountBalance> out;
  // MySQL's SUM is a DECIMAL, read as a double: exact below 2^53 minor units.
  for (const auto& row : session.query(
           "SELECT account, currency, SUM(amount_minor) AS balance FROM lore_ledger_entries "
           "GROUP BY account, currency ORDER BY account, currency"))
    out.push_back({row.get<std::string>("account"), row.get<std::string>("currency"),
                   row.get<std::int64_t>("balance")});
  return out;
}

std::vector<Earnings> RevenueLedger::earnings(std::int64_t creator_id) {
  auto session = database_.session();
  std::vector<Earnings> out;
  for (const auto& row : session.query(
           "SELECT currency, SUM(CASE WHEN amount_minor < 0 THEN -amount_minor ELSE 0 END) AS "
           "earned, SUM(CASE WHEN amount_minor > 0 THEN amount_minor ELSE 0 END) AS reversed "
           "FROM lore_ledger_entries WHERE creator_id = ? GROUP BY currency ORDER BY currency",
           {creator_id})) {
    Earnings e;
    e.currency = row.get<std::string>("currency");
    e.earned_minor = row.get<std::int64_t>("earned");
    e.reversed_minor = row.get<std::int64_t>("reversed");
    e.net_minor = e.earned_minor - e.reversed_minor;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace lore
