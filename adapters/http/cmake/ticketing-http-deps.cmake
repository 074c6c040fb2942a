# Included by ticketingConfig.cmake: what ticketing::http needs at link time.
include(CMakeFindDependencyMacro)
find_dependency(Boost 1.81 COMPONENTS json)
find_dependency(spdlog)
find_dependency(fmt)
