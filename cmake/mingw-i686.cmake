# SPDX-License-Identifier: MIT
# Cross build for 32-bit Windows with MinGW-w64 (32-bit SOCKET, HANDLE and
# pointers); tests run under 32-bit Wine (wine32) in a win32 prefix.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_COMPILER i686-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER i686-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/i686-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
# A shared (DLL) build would otherwise need libgcc_s_*.dll beside it.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")
set(PS_WINE_NAME wine)
set(PS_WINE_ARCH win32)
include(${CMAKE_CURRENT_LIST_DIR}/wine.cmake)
