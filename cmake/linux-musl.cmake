# SPDX-License-Identifier: MIT
# Static x86_64 Linux programs on musl libc (Debian musl-tools' musl-gcc),
# as on Alpine; the programs run natively. A cross build as far as CMake
# knows, so no library or .pc file of the host's glibc is picked up.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER musl-gcc)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_FIND_ROOT_PATH /usr/lib/x86_64-linux-musl /usr/include/x86_64-linux-musl)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/x86_64-linux-musl/pkgconfig")
# The programs run on this machine as they are; an emulator is still named
# so that CMake registers the tests that run a built program (interop,
# examples), as it does for the other cross builds.
set(CMAKE_CROSSCOMPILING_EMULATOR env)
