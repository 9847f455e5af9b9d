# SPDX-License-Identifier: MIT
# Included by the Windows toolchain files: run the cross-built programs
# under Wine with a private prefix inside the build tree. PS_WINE_NAME is
# the loader (wine64, or wine for 32-bit programs); PS_WINE_ARCH, when set,
# is the prefix's WINEARCH (win32 for a 32-bit-only prefix).
find_program(PS_WINE NAMES ${PS_WINE_NAME} PATHS /usr/lib/wine NO_DEFAULT_PATH)
if(NOT PS_WINE)
  find_program(PS_WINE NAMES ${PS_WINE_NAME} wine)
endif()
# The tests keep one wineserver running for the whole run (see tests/).
# wineserver64 serves 32-bit prefixes too: Debian's 32-bit loader starts
# it itself (through /usr/lib/wine/wineserver) when none runs.
find_program(PS_WINESERVER NAMES wineserver64 wineserver PATHS /usr/lib/wine NO_DEFAULT_PATH)
if(NOT PS_WINESERVER)
  find_program(PS_WINESERVER NAMES wineserver64 wineserver)
endif()
if(PS_WINE)
  set(ps_wine_env WINEDEBUG=-all WINEPREFIX=${CMAKE_BINARY_DIR}/wineprefix)
  if(PS_WINE_ARCH)
    list(APPEND ps_wine_env WINEARCH=${PS_WINE_ARCH})
  endif()
  # WINEDEBUG=-all keeps logs quiet.
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_COMMAND} -E env ${ps_wine_env} ${PS_WINE})
endif()
