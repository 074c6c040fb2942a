# Applied to every target when TICKETING_SANITIZERS is set. SOCI is built with hidden visibility,
# so UBSan's vptr check cannot link against it: vptr is always left out.
if(TICKETING_SANITIZERS)
    list(JOIN TICKETING_SANITIZERS "," _ticketing_sanitizers)
    add_compile_options(-fsanitize=${_ticketing_sanitizers} -fno-sanitize=vptr -fno-omit-frame-pointer
                        -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${_ticketing_sanitizers} -fno-sanitize=vptr)
endif()
