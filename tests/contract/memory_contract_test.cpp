// The contract suites against the memory adapters.
#include "contract.hpp"

namespace ticketing::testing {
namespace {

const BackendParam kMemory{"memory", MemoryBackend(), LockStrategyKind::kOptimistic};

INSTANTIATE_TEST_SUITE_P(Memory, UnitOfWorkContract, ::testing::Values(kMemory), BackendName{});
INSTANTIATE_TEST_SUITE_P(Memory, QueueStoreContract, ::testing::Values(kMemory), BackendName{});
INSTANTIATE_TEST_SUITE_P(Memory, DistributedLockContract, ::testing::Values(kMemory), BackendName{});
INSTANTIATE_TEST_SUITE_P(Memory, CatalogCacheContract, ::testing::Values(kMemory), BackendName{});
INSTANTIATE_TEST_SUITE_P(
    Memory, ConcurrencyScenarios, ::testing::ValuesIn(UnderEveryStrategy("memory", MemoryBackend())), BackendName{}
);

}  // namespace
}  // namespace ticketing::testing
