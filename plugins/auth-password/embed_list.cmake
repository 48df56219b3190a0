# Writes OUTPUT, a C++ file defining the text of INPUT as `auth_password::kCommonPasswords`.
file(READ "${INPUT}" text)
string(FIND "${text}" ")LIST\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )LIST\"")
endif()
file(WRITE "${OUTPUT}" "// Generated from ${INPUT}; do not edit.\n#include <string_view>\nnamespace auth_password {\nextern const std::string_view kCommonPasswords;\nconst std::string_view kCommonPasswords = R\"LIST(${text})LIST\";\n}  // namespace auth_password\n")
