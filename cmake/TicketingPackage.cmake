# Installs the exported package so that consumers can find_package(ticketing).
include(CMakePackageConfigHelpers)

set(TICKETING_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/ticketing")
install(
    EXPORT ticketingTargets
    NAMESPACE ticketing::
    DESTINATION "${TICKETING_INSTALL_CMAKEDIR}"
)
configure_package_config_file(
    "${CMAKE_CURRENT_LIST_DIR}/ticketingConfig.cmake.in" "${CMAKE_CURRENT_BINARY_DIR}/ticketingConfig.cmake"
    INSTALL_DESTINATION "${TICKETING_INSTALL_CMAKEDIR}"
)
write_basic_package_version_file(
    "${CMAKE_CURRENT_BINARY_DIR}/ticketingConfigVersion.cmake" COMPATIBILITY SameMinorVersion
)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/ticketingConfig.cmake" "${CMAKE_CURRENT_BINARY_DIR}/ticketingConfigVersion.cmake"
        DESTINATION "${TICKETING_INSTALL_CMAKEDIR}"
)

