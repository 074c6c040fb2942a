# ticketing_warnings: an INTERFACE target every project target links privately.
add_library(ticketing_warnings INTERFACE)
target_compile_options(
    ticketing_warnings
    INTERFACE -Wall
              -Wextra
              -Wpedantic
              -Wshadow
              -Wnon-virtual-dtor
              -Wold-style-cast
              -Wcast-align
              -Woverloaded-virtual
              -Wconversion
              -Wsign-conversion
              -Wnull-dereference
              -Wimplicit-fallthrough
              $<$<BOOL:${TICKETING_WARNINGS_AS_ERRORS}>:-Werror>
)
