# Writes a C++ source that compiles files into the binary, so that the server serves them from memory.
#   One file:  cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DFUNCTION=<name> -P Embed.cmake
#              defines `std::string_view ticketing::http::<name>()`, the file's bytes.
#   A folder:  cmake -DROOT=<dir> -DFILES=<a|b|...> -DOUTPUT=<file.cpp> -DFUNCTION=<name> -P Embed.cmake
#              defines `std::span<const EmbeddedFile> ticketing::http::<name>()`, the files by name under ROOT
#              ('|' separates FILES: a ';' would split the argument on its way here).

# kData<index>: the bytes of `file`, one array element each: no raw-string delimiter to collide with, binary works.
function(embed_array file index out_definition out_size)
    file(READ "${file}" content HEX)
    string(LENGTH "${content}" hex_length)
    math(EXPR size "${hex_length} / 2")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
    set(${out_definition} "constexpr char kData${index}[${size} + 1] = {${bytes} 0};\n" PARENT_SCOPE)
    set(${out_size} ${size} PARENT_SCOPE)
endfunction()

if(DEFINED INPUT)
    embed_array("${INPUT}" 0 definition size)
    set(body "namespace {\n${definition}}\n"
             "std::string_view ${FUNCTION}() { return {kData0, ${size}}; }\n")
    set(includes "#include <string_view>\n")
else()
    string(REPLACE "|" ";" files "${FILES}")
    set(definitions "")
    set(entries "")
    set(index 0)
    foreach(name IN LISTS files)
        embed_array("${ROOT}/${name}" ${index} definition size)
        string(APPEND definitions "${definition}")
        string(APPEND entries "    EmbeddedFile{\"${name}\", {kData${index}, ${size}}},\n")
        math(EXPR index "${index} + 1")
    endforeach()
    set(body "namespace {\n${definitions}constexpr std::array kFiles{\n${entries}};\n}  // namespace\n"
             "std::span<const EmbeddedFile> ${FUNCTION}() { return kFiles; }\n")
    set(includes "#include <array>\n#include \"embedded.hpp\"\n")
endif()
file(WRITE "${OUTPUT}.tmp" "${includes}namespace ticketing::http {\n${body}}  // namespace ticketing::http\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
