// The kernel's own schema history: kernel/migrations/*.sql, compiled into the binary (see
// kernel/cmake_embed_migrations.cmake), applied at start before any plugin and by `lore migrate`.
#pragma once

#include <vector>

#include "storage/migration.h"

namespace lore {

struct EmbeddedMigration {
  const char* name;  // file name
  const char* text;
};

const std::vector<EmbeddedMigration>& embedded_kernel_migrations();

// The embedded files for `dialect`, as migrations of component "kernel".
std::vector<Migration> kernel_migrations(sdk::db::Dialect dialect);

}  // namespace lore
