# SPDX-License-Identifier: MIT
# The optional TLS library portsock_tls (portsock::tls), selected by PS_TLS:
# auto (OpenSSL 3 where find_package finds it, else off), openssl (required),
# schannel (not built yet), off. The core portsock library never links it.
set(PS_TLS "auto" CACHE STRING "TLS library portsock_tls: auto, openssl, schannel or off")
set_property(CACHE PS_TLS PROPERTY STRINGS auto openssl schannel off)
set(PS_TLS_BACKEND "")
if(PS_TLS STREQUAL "schannel")
  message(FATAL_ERROR "PS_TLS=schannel: the Schannel backend is not built yet (issue 17)")
elseif(PS_TLS STREQUAL "openssl")
  find_package(OpenSSL 3 REQUIRED)
  set(PS_TLS_BACKEND openssl)
elseif(PS_TLS STREQUAL "auto")
  if(WIN32)
    message(STATUS "portsock: portsock_tls off: the Schannel backend is not built yet (use -DPS_TLS=openssl with a Windows OpenSSL 3)")
  else()
    find_package(OpenSSL 3 QUIET)
    if(OpenSSL_FOUND)
      set(PS_TLS_BACKEND openssl)
    else()
      message(STATUS "portsock: portsock_tls off: OpenSSL 3 not found")
    endif()
  endif()
elseif(NOT PS_TLS STREQUAL "off")
  message(FATAL_ERROR "PS_TLS must be auto, openssl, schannel or off")
endif()

if(PS_TLS_BACKEND)
  message(STATUS "portsock: portsock_tls backend ${PS_TLS_BACKEND}")
  add_library(portsock_tls
    ${PROJECT_SOURCE_DIR}/src/tls/config.c
    ${PROJECT_SOURCE_DIR}/src/tls/conn.c
    ${PROJECT_SOURCE_DIR}/src/tls/io.c
    ${PROJECT_SOURCE_DIR}/src/tls/transport.c
    ${PROJECT_SOURCE_DIR}/src/tls/${PS_TLS_BACKEND}.c)
  add_library(portsock::tls ALIAS portsock_tls)
  target_include_directories(portsock_tls
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src/tls)
  target_compile_definitions(portsock_tls PRIVATE PS_TLS_BUILDING)
  if(BUILD_SHARED_LIBS)
    set_target_properties(portsock_tls PROPERTIES C_VISIBILITY_PRESET hidden
      VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  endif()
  target_link_libraries(portsock_tls PUBLIC portsock PRIVATE OpenSSL::SSL)
  ps_set_warnings(portsock_tls)
endif()
