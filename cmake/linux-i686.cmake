# SPDX-License-Identifier: MIT
# 32-bit x86 Linux with the host's gcc -m32 (Debian gcc-12-multilib): 32-bit
# size_t and long; the programs run natively. Libraries and .pc files are
# looked up in the i386 directories only.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_C_FLAGS_INIT "-m32")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-m32")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-m32")
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/i386-linux-gnu/pkgconfig")
# gcc-12-multilib (unlike gcc-multilib, which conflicts with Debian's cross
# compilers) has no /usr/include/asm: the kernel's x86 headers serve both
# word sizes, through a link in a private include directory.
if(NOT EXISTS /usr/include/asm AND EXISTS /usr/include/x86_64-linux-gnu/asm)
  set(ps_asm_dir ${CMAKE_BINARY_DIR}/ps-i686-include)
  file(MAKE_DIRECTORY ${ps_asm_dir})
  if(NOT EXISTS ${ps_asm_dir}/asm)
    file(CREATE_LINK /usr/include/x86_64-linux-gnu/asm ${ps_asm_dir}/asm SYMBOLIC)
  endif()
  string(APPEND CMAKE_C_FLAGS_INIT " -idirafter ${ps_asm_dir}")
endif()
# The programs run on this machine as they are; an emulator is still named
# so that CMake registers the tests that run a built program (interop,
# examples), as it does for the other cross builds.
set(CMAKE_CROSSCOMPILING_EMULATOR env)
