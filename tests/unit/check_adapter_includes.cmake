# Fails when a storage adapter includes a use-case header: adapters implement ports over the domain,
# and only composition roots (runtime, front ends) may name app/ or ticketing.hpp. Also fails when a
# client library's header leaks out of its adapter's sources (librdkafka outside adapters/kafka/src).
# Usage: cmake -DADAPTERS=<dir> -P check_adapter_includes.cmake
foreach(adapter memory sql redis kafka)
    file(GLOB_RECURSE sources "${ADAPTERS}/${adapter}/*.hpp" "${ADAPTERS}/${adapter}/*.cpp")
    foreach(source IN LISTS sources)
        file(STRINGS "${source}" bad REGEX "#include <ticketing/(app/|ticketing\\.hpp)")
        if(bad)
            message(SEND_ERROR "${source} depends on the use cases: ${bad}")
        endif()
    endforeach()
endforeach()

get_filename_component(root "${ADAPTERS}" DIRECTORY)
file(GLOB_RECURSE everything "${root}/libticketing/*.hpp" "${root}/libticketing/*.cpp" "${root}/adapters/*.hpp"
     "${root}/adapters/*.cpp" "${root}/tests/*.hpp" "${root}/tests/*.cpp" "${root}/bench/*.hpp" "${root}/bench/*.cpp"
     "${root}/examples/*.cpp"
)
foreach(source IN LISTS everything)
    if(source MATCHES "/adapters/kafka/src/")
        continue()
    endif()
    file(STRINGS "${source}" bad REGEX "#include <librdkafka/")
    if(bad)
        message(SEND_ERROR "${source} includes librdkafka outside adapters/kafka/src: ${bad}")
    endif()
endforeach()
