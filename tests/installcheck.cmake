# Run by CTest as `cmake -DBUILD_DIR=... -DPREFIX=... -DBINDIR=bin -DDATADIR=share
# [-DVALIDATE=desktop-file-validate] -P installcheck.cmake`:
# installs the build into a fresh PREFIX and checks what a desktop needs is where it looks.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${result}):\n${output}")
endif()

foreach(file
        "${BINDIR}/fanscope"
        "${DATADIR}/applications/fanscope.desktop"
        "${DATADIR}/icons/hicolor/scalable/apps/fanscope.svg")
    if(NOT EXISTS "${PREFIX}/${file}")
        message(FATAL_ERROR "not installed: ${file}\n${output}")
    endif()
    message(STATUS "installed ${file}")
endforeach()

if(VALIDATE)
    execute_process(COMMAND "${VALIDATE}" "${PREFIX}/${DATADIR}/applications/fanscope.desktop"
        RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
    # It prints hints as well as errors; only errors make it fail.
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "desktop-file-validate:\n${output}")
    endif()
    message(STATUS "desktop-file-validate: ok ${output}")
else()
    message(STATUS "desktop-file-validate not found: the desktop entry was not validated")
endif()
