# Writes a C++ source holding kernel/migrations/*.sql, so the binary carries the kernel's schema
# history and needs no files at run time. Run with -DSOURCE_DIR=... -DOUTPUT=...
file(GLOB files "${SOURCE_DIR}/*.sql")
list(SORT files)
set(body "")
foreach(file ${files})
  get_filename_component(name "${file}" NAME)
  file(READ "${file}" text)
  string(APPEND body "    {\"${name}\", R\"lore_sql(${text})lore_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from kernel/migrations/*.sql by kernel/cmake_embed_migrations.cmake; do not edit.\n"
  "#include \"storage/kernel_migrations.h\"\n\n"
  "namespace lore {\n\n"
  "const std::vector<EmbeddedMigration>& embedded_kernel_migrations() {\n"
  "  static const std::vector<EmbeddedMigration> files{\n${body}  };\n"
  "  return files;\n}\n\n}  // namespace lore\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
