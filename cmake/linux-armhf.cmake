# SPDX-License-Identifier: MIT
# Cross build for 32-bit ARM Linux (armhf: 32-bit size_t and time_t) with
# Debian's gcc-arm-linux-gnueabihf; tests run under qemu-user.
set(CMAKE_SYSTEM_PROCESSOR arm)
set(PS_CROSS_TRIPLE arm-linux-gnueabihf)
set(PS_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)
