# Included by ticketingConfig.cmake: what ticketing::redis needs at link time (hiredis via pkg-config,
# OpenSSL's libcrypto).
include(CMakeFindDependencyMacro)
find_dependency(PkgConfig)
find_dependency(Threads)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
find_dependency(OpenSSL 3 COMPONENTS Crypto)
