# FindSOCI: SOCI 4.x as imported targets. Debian's libsoci-dev ships no CMake config and no .pc file.
#
#   find_package(SOCI [REQUIRED] [COMPONENTS sqlite3 mysql])
#
# Targets: SOCI::core, SOCI::sqlite3 (needs SQLite3), SOCI::mysql (needs libmariadb via pkg-config).
# Imported (not plain INTERFACE) targets so that an exported static library may name them privately.
include(FindPackageHandleStandardArgs)

find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_CORE_LIBRARY soci_core)
mark_as_advanced(SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY)

if(SOCI_INCLUDE_DIR AND EXISTS "${SOCI_INCLUDE_DIR}/soci/version.h")
    file(STRINGS "${SOCI_INCLUDE_DIR}/soci/version.h" _soci_version_line REGEX "^#define SOCI_VERSION [0-9]+")
    string(REGEX MATCH "[0-9]+" _soci_version_number "${_soci_version_line}")
    if(_soci_version_number)
        math(EXPR _soci_major "${_soci_version_number} / 100000")
        math(EXPR _soci_minor "${_soci_version_number} / 100 % 1000")
        math(EXPR _soci_patch "${_soci_version_number} % 100")
        set(SOCI_VERSION "${_soci_major}.${_soci_minor}.${_soci_patch}")
    endif()
endif()

if(SOCI_CORE_LIBRARY AND SOCI_INCLUDE_DIR AND NOT TARGET SOCI::core)
    add_library(SOCI::core UNKNOWN IMPORTED)
    set_target_properties(
        SOCI::core PROPERTIES IMPORTED_LOCATION "${SOCI_CORE_LIBRARY}" INTERFACE_INCLUDE_DIRECTORIES
                                                                      "${SOCI_INCLUDE_DIR}"
    )
    set_property(TARGET SOCI::core APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${CMAKE_DL_LIBS})
endif()

# Components are optional unless asked for.
set(_soci_components ${SOCI_FIND_COMPONENTS})
if(NOT _soci_components)
    set(_soci_components sqlite3 mysql)
endif()

foreach(_component IN LISTS _soci_components)
    find_library(SOCI_${_component}_LIBRARY soci_${_component})
    mark_as_advanced(SOCI_${_component}_LIBRARY)
    set(_dependency_found TRUE)
    set(_dependency_target "")
    if(_component STREQUAL "sqlite3")
        # <soci/sqlite3/soci-sqlite3.h> includes <sqlite3.h>.
        find_package(SQLite3 QUIET)
        set(_dependency_found ${SQLite3_FOUND})
        set(_dependency_target SQLite::SQLite3)
    elseif(_component STREQUAL "mysql")
        # <soci/mysql/soci-mysql.h> includes <mysql.h> from /usr/include/mariadb.
        find_package(PkgConfig QUIET)
        if(PKG_CONFIG_FOUND)
            pkg_check_modules(SOCI_MARIADB QUIET IMPORTED_TARGET GLOBAL libmariadb)
        endif()
        set(_dependency_found ${SOCI_MARIADB_FOUND})
        set(_dependency_target PkgConfig::SOCI_MARIADB)
    endif()
    if(SOCI_${_component}_LIBRARY AND _dependency_found AND TARGET SOCI::core)
        set(SOCI_${_component}_FOUND TRUE)
        if(NOT TARGET SOCI::${_component})
            add_library(SOCI::${_component} UNKNOWN IMPORTED)
            set_target_properties(SOCI::${_component} PROPERTIES IMPORTED_LOCATION "${SOCI_${_component}_LIBRARY}")
            set_property(
                TARGET SOCI::${_component} APPEND PROPERTY INTERFACE_LINK_LIBRARIES SOCI::core ${_dependency_target}
            )
        endif()
    else()
        set(SOCI_${_component}_FOUND FALSE)
    endif()
endforeach()

find_package_handle_standard_args(
    SOCI
    REQUIRED_VARS SOCI_CORE_LIBRARY SOCI_INCLUDE_DIR
    VERSION_VAR SOCI_VERSION
    HANDLE_COMPONENTS
    REASON_FAILURE_MESSAGE "apt-get install libsoci-dev libsqlite3-dev libmariadb-dev (or run scripts/deps)"
)
