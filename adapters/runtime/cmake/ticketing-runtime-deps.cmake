# What ticketing::runtime links privately (a static consumer still links it).
find_dependency(tomlplusplus)
