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
# An OpenSSL built for this target (ci/openssl-mingw.sh; the mingw64-openssl
# preset's OPENSSL_ROOT_DIR) is searched as one more root: finds stay
# confined to the roots, so the host's OpenSSL is never seen.
if(OPENSSL_ROOT_DIR)
  list(APPEND CMAKE_FIND_ROOT_PATH ${OPENSSL_ROOT_DIR})
endif()
# Static runtime so the .exe files need no MinGW DLLs beside them under Wine.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
# A shared (DLL) build would otherwise need libgcc_s_*.dll beside it.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")
set(PS_WINE_NAME wine64)
include(${CMAKE_CURRENT_LIST_DIR}/wine.cmake)
