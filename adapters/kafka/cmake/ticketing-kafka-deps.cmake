# Included by ticketingConfig.cmake: what ticketing::kafka needs at link time (librdkafka via pkg-config).
include(CMakeFindDependencyMacro)
find_dependency(PkgConfig)
find_dependency(Threads)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
