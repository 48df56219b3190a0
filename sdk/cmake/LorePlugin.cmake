# lore_add_plugin(NAME SOURCES a.cc b.cc [MANIFEST plugin.yaml] [MIGRATIONS dir]
#                 [OUTPUT_DIRECTORY dir])
#
# Builds lib<NAME>.so into <LORE_PLUGIN_OUTPUT_DIR>/<NAME>/ next to a copy of its plugin.yaml
# and of its migrations/*.sql (MIGRATIONS defaults to the folder's migrations/), the layout the
# kernel's plugin_paths expect. The plugin links only the SDK: hidden visibility
# (only the descriptor is exported) and --no-undefined, so it cannot depend on kernel symbols;
# no GNU unique symbols, so the kernel can unload it.
function(lore_add_plugin NAME)
  cmake_parse_arguments(ARG "" "MANIFEST;MIGRATIONS;OUTPUT_DIRECTORY;TARGET" "SOURCES" ${ARGN})
  set(sources ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  if(NOT sources)
    message(FATAL_ERROR "lore_add_plugin(${NAME}): no SOURCES")
  endif()
  if(NOT ARG_MANIFEST)
    set(ARG_MANIFEST "${CMAKE_CURRENT_SOURCE_DIR}/plugin.yaml")
  endif()
  if(NOT EXISTS "${ARG_MANIFEST}")
    message(FATAL_ERROR "lore_add_plugin(${NAME}): manifest ${ARG_MANIFEST} not found")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY "${LORE_PLUGIN_OUTPUT_DIR}/${NAME}")
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET "lore_plugin_${NAME}")
  endif()

  add_library(${ARG_TARGET} MODULE ${sources})
  target_link_libraries(${ARG_TARGET} PRIVATE lore::sdk)
  target_link_options(${ARG_TARGET} PRIVATE -Wl,--no-undefined)
  # GCC marks static locals of inline std templates STB_GNU_UNIQUE, and glibc never unloads a
  # library that has such a symbol: without this flag a disabled plugin stays in memory forever.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${ARG_TARGET} PRIVATE -fno-gnu-unique)
  endif()
  set_target_properties(${ARG_TARGET} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "${NAME}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  if(COMMAND lore_warnings)
    lore_warnings(${ARG_TARGET})
  endif()
  configure_file("${ARG_MANIFEST}" "${ARG_OUTPUT_DIRECTORY}/plugin.yaml" COPYONLY)
  if(NOT ARG_MIGRATIONS)
    set(ARG_MIGRATIONS "${CMAKE_CURRENT_SOURCE_DIR}/migrations")
  endif()
  # Copied at configure time; CONFIGURE_DEPENDS re-runs CMake when a file is added or removed,
  # and configure_file when one changes. Stale copies are removed first.
  file(REMOVE_RECURSE "${ARG_OUTPUT_DIRECTORY}/migrations")
  if(IS_DIRECTORY "${ARG_MIGRATIONS}")
    file(GLOB migration_files CONFIGURE_DEPENDS "${ARG_MIGRATIONS}/*.sql")
    foreach(migration ${migration_files})
      get_filename_component(migration_name "${migration}" NAME)
      configure_file("${migration}" "${ARG_OUTPUT_DIRECTORY}/migrations/${migration_name}" COPYONLY)
    endforeach()
  endif()
  set_property(GLOBAL APPEND PROPERTY LORE_PLUGIN_TARGETS ${ARG_TARGET})
endfunction()
