# SPDX-License-Identifier: MIT
# psnc, the portable netcat (psnc.c), its install rule, and its tests: the
# scripts in tests/interop run it against Python, socat and OpenBSD nc,
# natively and (MinGW leg) under Wine through the emulator prefix.
include(GNUInstallDirs)
if(WIN32)
  set(PS_PSNC_SYS ${CMAKE_CURRENT_LIST_DIR}/psnc_sys_win32.c)
else()
  set(PS_PSNC_SYS ${CMAKE_CURRENT_LIST_DIR}/psnc_sys_posix.c)
endif()
ps_add_example(psnc ${CMAKE_CURRENT_LIST_DIR}/psnc.c ${PS_PSNC_SYS})
# --ssl and the other TLS flags exist only where portsock_tls is built;
# without it they fail with "built without TLS".
if(TARGET portsock_tls)
  target_link_libraries(psnc PRIVATE portsock_tls)
  target_compile_definitions(psnc PRIVATE PSNC_TLS)
endif()
install(TARGETS psnc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

if(PS_CAN_RUN_EXAMPLES)
  set(PS_INTEROP_DIR ${PROJECT_SOURCE_DIR}/tests/interop)
  # Each script takes the command that runs psnc as its last arguments
  # (emulator words + program).
  set(PS_PSNC_CMD ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:psnc>)
  ps_add_example_test(psnc_cli
    ${Python3_EXECUTABLE} ${PS_INTEROP_DIR}/psnc_cli.py ${PS_PSNC_CMD})
  ps_add_example_test(psnc_python
    ${Python3_EXECUTABLE} ${PS_INTEROP_DIR}/psnc_python.py ${PS_PSNC_CMD})
  # Standard streams closed or dead, SIGTERM while blocked writing.
  ps_add_example_test(psnc_stdio
    ${Python3_EXECUTABLE} ${PS_INTEROP_DIR}/psnc_stdio.py ${PS_PSNC_CMD})
  # 77: skipped, socat or OpenBSD nc is not installed (the script says so).
  foreach(tool socat nc)
    ps_add_example_test(psnc_${tool}
      ${Python3_EXECUTABLE} ${PS_INTEROP_DIR}/psnc_tools.py ${tool} ${PS_PSNC_CMD})
    set_tests_properties(psnc_${tool} PROPERTIES SKIP_RETURN_CODE 77)
  endforeach()
  set_tests_properties(psnc_cli psnc_python psnc_stdio psnc_socat psnc_nc
    PROPERTIES LABELS interop)
  # psnc --ssl against openssl s_server/s_client, socat, curl and ncat, with
  # the certificates of the tls_certs fixture (tests/CMakeLists.txt). Linux
  # hosts only (the script reads /proc/net/tcp): natively, and the MinGW
  # build with OpenSSL under Wine (the mingw64-openssl preset), where the
  # script leaves out the cases Wine cannot run and says why. Not with
  # Schannel under Wine: Wine's schannel has no server side and cannot load
  # a key (tests/tls/schannel_client.py tests that client).
  if(TARGET portsock_tls AND CMAKE_HOST_SYSTEM_NAME STREQUAL "Linux" AND
     ((PS_UNDER_WINE AND PS_TLS_BACKEND STREQUAL "openssl") OR
      (NOT CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_NAME STREQUAL "Linux")))
    ps_add_example_test(psnc_tls
      ${Python3_EXECUTABLE} ${PS_INTEROP_DIR}/psnc_tls.py
      ${PROJECT_BINARY_DIR}/tests/tls-certs ${PS_PSNC_CMD})
    # psnc with reads shorter than a TLS record, for the case where
    # decrypted bytes wait in memory while the socket has nothing
    # (psnc_tls.py's test_pending): the shipped psnc reads whole records.
    ps_add_example(psnc_small_reads ${CMAKE_CURRENT_LIST_DIR}/psnc.c ${PS_PSNC_SYS})
    target_link_libraries(psnc_small_reads PRIVATE portsock_tls)
    target_compile_definitions(psnc_small_reads PRIVATE PSNC_TLS PSNC_CHUNK=1000)
    set_tests_properties(psnc_tls PROPERTIES LABELS interop
      ENVIRONMENT PSNC_SMALL_READS=$<TARGET_FILE:psnc_small_reads>)
    # Appended: under Wine the wine fixture is there already.
    set_property(TEST psnc_tls APPEND PROPERTY FIXTURES_REQUIRED tls_certs)
  endif()
endif()
