# SPDX-License-Identifier: MIT
# Cross build for s390x Linux (big-endian, 64-bit) with Debian's
# gcc-s390x-linux-gnu; tests run under qemu-user.
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(PS_CROSS_TRIPLE s390x-linux-gnu)
set(PS_CROSS_QEMU qemu-s390x)
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)
