# Installed next to ticketingConfig.cmake: what ticketing::sql (a static library) needs from its users.
include(CMakeFindDependencyMacro)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")
find_dependency(SOCI 4.0 COMPONENTS sqlite3 mysql)
