# ticketing_add_library(<part> SOURCES ... [LINK ...]): target ticketing_<part>, alias ticketing::<part>,
# public headers in <dir>/include, installed and exported with the package.
function(ticketing_add_library part)
    cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
    set(target ticketing_${part})
    add_library(${target} ${ARG_SOURCES})
    add_library(ticketing::${part} ALIAS ${target})
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${part} POSITION_INDEPENDENT_CODE ON)
    target_include_directories(
        ${target} PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
                         $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    )
    target_compile_features(${target} PUBLIC cxx_std_20)
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE} $<BUILD_INTERFACE:ticketing_warnings>)
    install(TARGETS ${target} EXPORT ticketingTargets)
    install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()
