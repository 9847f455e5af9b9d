# SPDX-License-Identifier: MIT
# Cross build for 64-bit Windows with clang (the compiler of llvm-mingw and
# MSYS2's CLANG64) against the MinGW-w64 headers and libraries; tests run
# under Wine.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET x86_64-w64-mingw32)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# clang links MinGW-w64's libgcc, but Debian keeps it in a directory clang
# does not search (.../12-win32): the MinGW gcc names it.
execute_process(COMMAND x86_64-w64-mingw32-gcc -print-libgcc-file-name
  OUTPUT_VARIABLE ps_libgcc OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE ps_rc)
set(ps_libgcc_dir "")
if(ps_rc EQUAL 0 AND ps_libgcc)
  get_filename_component(ps_libgcc_dir "${ps_libgcc}" DIRECTORY)
  set(ps_libgcc_dir "-L${ps_libgcc_dir}")
endif()
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc ${ps_libgcc_dir}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc ${ps_libgcc_dir}")
set(PS_WINE_NAME wine64)
include(${CMAKE_CURRENT_LIST_DIR}/wine.cmake)
