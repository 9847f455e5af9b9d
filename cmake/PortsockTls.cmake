# SPDX-License-Identifier: MIT
# The optional TLS library portsock_tls (portsock::tls), selected by PS_TLS:
# auto (Schannel on Windows; elsewhere OpenSSL 3 where find_package finds it,
# else off), openssl (required), schannel (Windows only), off. The core
# portsock library never links it.
set(PS_TLS "auto" CACHE STRING "TLS library portsock_tls: auto, openssl, schannel or off")
set_property(CACHE PS_TLS PROPERTY STRINGS auto openssl schannel off)
set(PS_TLS_BACKEND "")

# ps_tls_openssl_links(VAR): VAR is ON when a program using the OpenSSL that
# find_package found compiles and links for the target. A cross toolchain
# file without a find root for packages finds the host's OpenSSL, whose
# headers and libraries the target's compiler cannot use: auto then turns
# portsock_tls off, saying why, instead of failing the build. The test runs
# again whenever the library found changes.
function(ps_tls_openssl_links var)
  set(found "${OPENSSL_SSL_LIBRARY};${OPENSSL_INCLUDE_DIR}")
  if(NOT "${found}" STREQUAL "${PS_TLS_OPENSSL_CHECKED}")
    unset(PS_TLS_OPENSSL_LINKS CACHE)
    set(PS_TLS_OPENSSL_CHECKED "${found}" CACHE INTERNAL "OpenSSL PS_TLS_OPENSSL_LINKS was tested with")
  endif()
  include(CheckCSourceCompiles)
  include(CMakePushCheckState)
  cmake_push_check_state(RESET)
  set(CMAKE_REQUIRED_LIBRARIES OpenSSL::SSL)
  set(CMAKE_REQUIRED_QUIET ON)
  check_c_source_compiles("#include <openssl/ssl.h>\nint main(void) { return OPENSSL_init_ssl(0, NULL) == 0; }"
    PS_TLS_OPENSSL_LINKS)
  cmake_pop_check_state()
  set(${var} ${PS_TLS_OPENSSL_LINKS} PARENT_SCOPE)
endfunction()
if(PS_TLS STREQUAL "schannel")
  if(NOT WIN32)
    message(FATAL_ERROR "PS_TLS=schannel: Schannel is Windows' own TLS; use openssl or auto on ${CMAKE_SYSTEM_NAME}")
  endif()
  set(PS_TLS_BACKEND schannel)
elseif(PS_TLS STREQUAL "openssl")
  find_package(OpenSSL 3 REQUIRED)
  ps_tls_openssl_links(ok)
  if(NOT ok)
    message(FATAL_ERROR "PS_TLS=openssl: the OpenSSL found (${OPENSSL_SSL_LIBRARY}) does not compile and link "
            "for this target (${CMAKE_SYSTEM_NAME} ${CMAKE_SYSTEM_PROCESSOR}; a host library?)")
  endif()
  set(PS_TLS_BACKEND openssl)
elseif(PS_TLS STREQUAL "auto")
  if(WIN32)
    set(PS_TLS_BACKEND schannel)
  else()
    find_package(OpenSSL 3 QUIET)
    if(OpenSSL_FOUND)
      ps_tls_openssl_links(ok)
      if(ok)
        set(PS_TLS_BACKEND openssl)
      else()
        message(STATUS "portsock: portsock_tls off: the OpenSSL 3 found (${OPENSSL_SSL_LIBRARY}) does not compile and link "
                "for this target (${CMAKE_SYSTEM_NAME} ${CMAKE_SYSTEM_PROCESSOR}; a host library?)")
      endif()
    else()
      message(STATUS "portsock: portsock_tls off: OpenSSL 3 not found")
    endif()
  endif()
elseif(NOT PS_TLS STREQUAL "off")
  message(FATAL_ERROR "PS_TLS must be auto, openssl, schannel or off")
endif()

if(PS_TLS_BACKEND)
  message(STATUS "portsock: portsock_tls backend ${PS_TLS_BACKEND}")
  # The system trust store's platform side for OpenSSL (src/tls/system_roots.h).
  if(WIN32)
    set(ps_tls_platform win32)
  else()
    set(ps_tls_platform posix)
  endif()
  # Also compiled, instrumented, by fuzz/CMakeLists.txt.
  set(PS_TLS_SOURCES
    ${PROJECT_SOURCE_DIR}/src/tls/config.c
    ${PROJECT_SOURCE_DIR}/src/tls/conn.c
    ${PROJECT_SOURCE_DIR}/src/tls/connector.c
    ${PROJECT_SOURCE_DIR}/src/tls/conn_transport.c
    ${PROJECT_SOURCE_DIR}/src/tls/io.c
    ${PROJECT_SOURCE_DIR}/src/tls/transport.c
    ${PROJECT_SOURCE_DIR}/src/tls/${PS_TLS_BACKEND}.c)
  if(PS_TLS_BACKEND STREQUAL "openssl")
    list(APPEND PS_TLS_SOURCES ${PROJECT_SOURCE_DIR}/src/${ps_tls_platform}/tls_roots.c)
  endif()
  add_library(portsock_tls ${PS_TLS_SOURCES})
  add_library(portsock::tls ALIAS portsock_tls)
  target_include_directories(portsock_tls
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src/tls)
  target_compile_definitions(portsock_tls PRIVATE PS_TLS_BUILDING)
  if(BUILD_SHARED_LIBS)
    set_target_properties(portsock_tls PROPERTIES C_VISIBILITY_PRESET hidden
      VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  endif()
  if(PS_TLS_BACKEND STREQUAL "schannel")
    # The system's own: SSPI, certificates, CNG keys.
    set(PS_TLS_SYSTEM_LIBS secur32 crypt32 ncrypt)
    target_link_libraries(portsock_tls PUBLIC portsock PRIVATE ${PS_TLS_SYSTEM_LIBS})
    # pkg-config --static: a static portsock_tls needs them too.
    set(PS_TLS_PC_REQUIRES_PRIVATE "")
    set(PS_TLS_PC_LIBS_PRIVATE " -lsecur32 -lcrypt32 -lncrypt")
  else()
    target_link_libraries(portsock_tls PUBLIC portsock PRIVATE OpenSSL::SSL)
    set(PS_TLS_PC_REQUIRES_PRIVATE " libssl libcrypto")
    set(PS_TLS_PC_LIBS_PRIVATE "")
    if(WIN32)
      # crypt32: the ROOT store; a static OpenSSL also needs user32 (its
      # fatal-error message box and service check) besides ws2_32 and
      # crypt32, which FindOpenSSL adds.
      target_link_libraries(portsock_tls PRIVATE crypt32 user32)
      set(PS_TLS_PC_LIBS_PRIVATE " -lcrypt32 -luser32")
    endif()
  endif()
  ps_set_warnings(portsock_tls)
endif()
