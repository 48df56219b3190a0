# find_package(LoreSDK CONFIG REQUIRED PATHS <lore>/sdk/cmake) for plugins built out of tree.
# Provides the lore::sdk target (headers only) and the lore_add_plugin() function.
get_filename_component(_lore_sdk_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

include(CMakeFindDependencyMacro)
find_dependency(nlohmann_json 3)

if(NOT TARGET lore::sdk)
  add_library(lore::sdk INTERFACE IMPORTED)
  set_target_properties(lore::sdk PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_lore_sdk_root}/include"
    INTERFACE_LINK_LIBRARIES nlohmann_json::nlohmann_json
    INTERFACE_COMPILE_FEATURES cxx_std_20)
endif()

if(NOT DEFINED LORE_PLUGIN_OUTPUT_DIR)
  set(LORE_PLUGIN_OUTPUT_DIR "${CMAKE_BINARY_DIR}/plugins")
endif()

include("${CMAKE_CURRENT_LIST_DIR}/LorePlugin.cmake")
set(LoreSDK_FOUND TRUE)
