# cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DFUNCTION=<name> -P Embed.cmake
# Writes a C++ source defining `std::string_view ticketing::http::<name>()` that returns the input's bytes.
# The buyer pages (a later issue) embed the same way.
file(READ "${INPUT}" content HEX)
string(LENGTH "${content}" hex_length)
math(EXPR size "${hex_length} / 2")
# One byte per array element: no raw-string delimiter to collide with, binary files work too.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
file(WRITE "${OUTPUT}.tmp"
     "#include <string_view>\n"
     "namespace ticketing::http {\n"
     "namespace {\nconstexpr char kData[${size} + 1] = {${bytes} 0};\n}\n"
     "std::string_view ${FUNCTION}() { return {kData, ${size}}; }\n"
     "}  // namespace ticketing::http\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
