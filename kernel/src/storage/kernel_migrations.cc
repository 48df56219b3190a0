#include "storage/kernel_migrations.h"

namespace lore {

std::vector<Migration> kernel_migrations(sdk::db::Dialect dialect) {
  std::vector<MigrationFile> files;
  for (const auto& m : embedded_kernel_migrations())
    files.push_back({m.name, std::string("kernel/migrations/") + m.name, m.text});
  return migrations_from_files(files, "kernel", dialect);
}

}  // namespace lore
