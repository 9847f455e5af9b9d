# SPDX-License-Identifier: MIT
# The echo servers and the framing demo, and the tests that run them.
# Included from examples/CMakeLists.txt (ps_add_example and
# PS_CAN_RUN_EXAMPLES come from there).
if(WIN32)
  set(PS_EX_THREAD ${CMAKE_CURRENT_SOURCE_DIR}/ex_thread_win32.c)
else()
  set(PS_EX_THREAD ${CMAKE_CURRENT_SOURCE_DIR}/ex_thread_posix.c)
endif()

# The servers' shared parts: listening and echoing, and the command line.
set(PS_EX_SERVER ${CMAKE_CURRENT_SOURCE_DIR}/ex_server.c
  ${CMAKE_CURRENT_SOURCE_DIR}/ex_opts.c)
ps_add_example(echo_server ${CMAKE_CURRENT_SOURCE_DIR}/echo_server.c
  ${PS_EX_SERVER})
ps_add_example(threaded_echo ${CMAKE_CURRENT_SOURCE_DIR}/threaded_echo.c
  ${PS_EX_SERVER} ${PS_EX_THREAD})
ps_add_example(frame_demo ${CMAKE_CURRENT_SOURCE_DIR}/frame_demo.c ${PS_EX_THREAD})
ps_add_example(poller_pool ${CMAKE_CURRENT_SOURCE_DIR}/poller_pool.c
  ${PS_EX_SERVER} ${PS_EX_THREAD})
if(NOT WIN32)
  # The thread helper calls pthreads itself; do not rely on portsock's link.
  find_package(Threads REQUIRED)
  target_link_libraries(threaded_echo PRIVATE Threads::Threads)
  target_link_libraries(frame_demo PRIVATE Threads::Threads)
  target_link_libraries(poller_pool PRIVATE Threads::Threads)
endif()

if(PS_CAN_RUN_EXAMPLES)
  # Many clients at once, a 1 MB stream, --max-clients and --exit-after,
  # against each server (run natively, or under Wine for MinGW).
  # poller_pool also: many clients at once, each message echoed exactly
  # once and in order.
  foreach(server echo_server threaded_echo poller_pool)
    ps_add_example_test(example_${server}
      ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/run_servers_test.py
      ${server} ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:${server}>)
  endforeach()
  ps_add_example_test(example_frame_demo
    ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/run_servers_test.py
    frame_demo ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:frame_demo>)
endif()
