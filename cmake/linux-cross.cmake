# SPDX-License-Identifier: MIT
# Included by the Linux cross toolchain files after they set
# PS_CROSS_TRIPLE (the Debian cross compiler's prefix, e.g. s390x-linux-gnu)
# and PS_CROSS_QEMU (the qemu-user program that runs its binaries).
# Libraries (and pkg-config's .pc files, for the optional benchmark peers)
# are looked up in the target's directories, never the host's.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${PS_CROSS_TRIPLE}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${PS_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${PS_CROSS_TRIPLE}/pkgconfig:/usr/${PS_CROSS_TRIPLE}/lib/pkgconfig")
find_program(PS_QEMU NAMES ${PS_CROSS_QEMU})
if(PS_QEMU)
  # -L: the target's dynamic loader and C library.
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PS_QEMU} -L /usr/${PS_CROSS_TRIPLE})
endif()
