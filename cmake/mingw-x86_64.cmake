# SPDX-License-Identifier: MIT
# Cross build for 64-bit Windows with MinGW-w64; tests run under Wine.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Static runtime so the .exe files need no MinGW DLLs beside them under Wine.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
# A shared (DLL) build would otherwise need libgcc_s_*.dll beside it.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")
find_program(PS_WINE NAMES wine64 PATHS /usr/lib/wine NO_DEFAULT_PATH)
if(NOT PS_WINE)
  find_program(PS_WINE NAMES wine64 wine)
endif()
# The tests keep one wineserver running for the whole run (see tests/).
find_program(PS_WINESERVER NAMES wineserver64 wineserver PATHS /usr/lib/wine NO_DEFAULT_PATH)
if(NOT PS_WINESERVER)
  find_program(PS_WINESERVER NAMES wineserver64 wineserver)
endif()
if(PS_WINE)
  # A private prefix inside the build tree; WINEDEBUG=-all keeps logs quiet.
  set(CMAKE_CROSSCOMPILING_EMULATOR
      ${CMAKE_COMMAND} -E env WINEDEBUG=-all WINEPREFIX=${CMAKE_BINARY_DIR}/wineprefix ${PS_WINE})
endif()
