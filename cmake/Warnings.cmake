# One INTERFACE target carries the project's warning flags; every target links it.
add_library(ticketing_warnings INTERFACE)
target_compile_options(ticketing_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
if(TICKETING_WERROR)
    target_compile_options(ticketing_warnings INTERFACE -Werror)
endif()
