// The ledger's arithmetic: the platform's fee of a payment and the parts of it refunds give
// back are whole minor units that always add up, for any amount and any sequence of partial
// refunds.

#include "commerce/revenue_ledger.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>

namespace lore {
namespace {

TEST(RevenueLedger, TheFeeIsRoundedHalfUpToAWholeMinorUnit) {
  EXPECT_EQ(RevenueLedger::fee_of(9900, 1000), 990);
  EXPECT_EQ(RevenueLedger::fee_of(5, 1000), 1) << "0.5 rounds up";
  EXPECT_EQ(RevenueLedger::fee_of(4, 1000), 0) << "0.4 rounds down";
  EXPECT_EQ(RevenueLedger::fee_of(1999, 1250), 250) << "249.875";
  EXPECT_EQ(RevenueLedger::fee_of(9900, 0), 0);
  EXPECT_EQ(RevenueLedger::fee_of(9900, 10000), 9900);
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(RevenueLedger::fee_of(kMax, 10000), kMax) << "no overflow near the limit";
  EXPECT_EQ(RevenueLedger::fee_of(kMax, 5000), kMax / 2 + 1);
}

TEST(RevenueLedger, AShareIsRoundedDownWithoutOverflow) {
  EXPECT_EQ(RevenueLedger::share(990, 100, 9900), 10);
  EXPECT_EQ(RevenueLedger::share(990, 9900, 9900), 990);
  EXPECT_EQ(RevenueLedger::share(1, 1, 3), 0);
  EXPECT_EQ(RevenueLedger::share(990, 0, 9900), 0);
  EXPECT_EQ(RevenueLedger::share(5, 5, 0), 0) << "nothing of nothing";
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(RevenueLedger::share(kMax, kMax, kMax), kMax);
}

// What record_refund does: each part gives back the fee's share of all refunded so far minus
// what earlier parts gave back. Whatever the parts, the fee comes back exactly once in all,
// and no part gives back more fee than it refunds.
TEST(RevenueLedger, PartialRefundsGiveBackTheWholeFeeExactly) {
  std::mt19937_64 random(20261207);
  for (int round = 0; round < 2000; ++round) {
    const std::int64_t amount = 1 + static_cast<std::int64_t>(random() % 1000000);
    const std::int64_t bps = static_cast<std::int64_t>(random() % 10001);
    const auto fee = RevenueLedger::fee_of(amount, bps);
    ASSERT_GE(fee, 0);
    ASSERT_LE(fee, amount);
    std::int64_t refunded = 0;
    std::int64_t fee_back_total = 0;
    std::int64_t creator_back_total = 0;
    while (refunded < amount) {
      const std::int64_t left = amount - refunded;
      const std::int64_t part =
          (random() % 3 == 0) ? left : 1 + static_cast<std::int64_t>(random() % left);
      const auto fee_back = RevenueLedger::share(fee, refunded + part, amount) -
                            RevenueLedger::share(fee, refunded, amount);
      ASSERT_GE(fee_back, 0);
      ASSERT_LE(fee_back, part);
      fee_back_total += fee_back;
      creator_back_total += part - fee_back;
      refunded += part;
    }
    ASSERT_EQ(fee_back_total, fee) << "amount " << amount << ", " << bps << " bp";
    ASSERT_EQ(creator_back_total, amount - fee);
  }
}

}  // namespace
}  // namespace lore
