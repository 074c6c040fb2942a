# Included by ticketingConfig.cmake: what ticketing::redis needs at link time (hiredis via pkg-config).
include(CMakeFindDependencyMacro)
find_dependency(PkgConfig)
find_dependency(Threads)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
