# Fails when a storage adapter includes a use-case header: adapters implement ports over the domain,
# and only composition roots (runtime, front ends) may name app/ or ticketing.hpp.
# Usage: cmake -DADAPTERS=<dir> -P check_adapter_includes.cmake
foreach(adapter memory sql redis)
    file(GLOB_RECURSE sources "${ADAPTERS}/${adapter}/*.hpp" "${ADAPTERS}/${adapter}/*.cpp")
    foreach(source IN LISTS sources)
        file(STRINGS "${source}" bad REGEX "#include <ticketing/(app/|ticketing\\.hpp)")
        if(bad)
            message(SEND_ERROR "${source} depends on the use cases: ${bad}")
        endif()
    endforeach()
endforeach()
