# SPDX-License-Identifier: MIT
# The chat server and client of docs/chat.md, and the tests that run them.
# Included from examples/CMakeLists.txt after psnc.cmake (PS_PSNC_SYS, the
# client's standard input helper, comes from there).
ps_add_example(chat_server ${CMAKE_CURRENT_LIST_DIR}/chat_server.c)
ps_add_example(chat_client ${CMAKE_CURRENT_LIST_DIR}/chat_client.c
  ${PS_PSNC_SYS})

if(PS_CAN_RUN_EXAMPLES)
  # The protocol from outside: broadcast, partial and over-long lines, a
  # slow consumer cut off, SIGINT's summary, the idle timeout.
  ps_add_example_test(example_chat_server
    ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/run_chat_test.py
    ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:chat_server>)
  # Two clients connecting by "localhost": a line typed in one is printed
  # by the other.
  ps_add_example_test(example_chat_client
    ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/run_chat_client.py
    ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:chat_server>
    $<TARGET_FILE:chat_client>)
endif()
