// What a migration statement does to the schema, read from its text: which tables it creates,
// drops and touches, which indexes it names. Migrations may run only the statement kinds this
// understands, so that every component stays inside its own tables.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace lore {

struct SchemaStatement {
  std::vector<std::string> created;  // tables (CREATE TABLE, the new name of a rename)
  std::vector<std::string> dropped;  // tables (DROP TABLE, the old name of a rename)
  std::vector<std::string> tables;   // every table it names, created and dropped included
  std::vector<std::string> indexes;  // index names it creates or drops
};

// Throws std::invalid_argument naming the allowed kinds when the statement is of another kind
// (views, triggers, routines, multi-table updates...), whose effects cannot be confined.
SchemaStatement read_schema_statement(const std::string& statement);

}  // namespace lore
