# SPDX-License-Identifier: MIT
# Install rules: header, library, CMake package (portsock::portsock) and a
# pkg-config file. Included from the top-level CMakeLists.txt when PS_INSTALL.
include(CMakePackageConfigHelpers)

set(PS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/portsock)

install(TARGETS portsock EXPORT portsockTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/portsock.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT portsockTargets NAMESPACE portsock:: DESTINATION ${PS_CMAKE_DIR})

# The config must re-find Threads: the exported target names Threads::Threads.
if(WIN32)
  set(PS_CONFIG_DEPENDENCIES "")
else()
  set(PS_CONFIG_DEPENDENCIES "find_dependency(Threads)")
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/portsockConfig.cmake.in
  ${PROJECT_BINARY_DIR}/portsockConfig.cmake INSTALL_DESTINATION ${PS_CMAKE_DIR})
# A request for X.Y accepts any installed X.Z with Z >= Y: the major version
# is bumped on incompatible changes.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/portsockConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/portsockConfig.cmake
  ${PROJECT_BINARY_DIR}/portsockConfigVersion.cmake DESTINATION ${PS_CMAKE_DIR})

# pkg-config. Static users need Libs.private (pkg-config --static); a Windows
# DLL's users need -DPS_SHARED for dllimport.
if(WIN32)
  set(PS_PC_LIBS_PRIVATE "-lws2_32 -liphlpapi")
else()
  set(PS_PC_LIBS_PRIVATE "-lpthread")
endif()
set(PS_PC_CFLAGS "")
if(WIN32 AND BUILD_SHARED_LIBS)
  set(PS_PC_CFLAGS " -DPS_SHARED")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(PS_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(PS_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
# The prefix is written at install time, so `cmake --install --prefix DIR`
# (which overrides CMAKE_INSTALL_PREFIX only then) yields a correct file.
set(PS_PC_PREFIX "@PS_PC_PREFIX@")
configure_file(${PROJECT_SOURCE_DIR}/cmake/portsock.pc.in
  ${PROJECT_BINARY_DIR}/portsock.pc.in @ONLY)
install(CODE "
  set(PS_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/portsock.pc.in\"
    \"${PROJECT_BINARY_DIR}/portsock.pc\" @ONLY)")
install(FILES ${PROJECT_BINARY_DIR}/portsock.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# portsock_tls, where it is built: its own export set (portsock::tls, read
# by portsockConfig.cmake when OpenSSL 3 is found) and portsock-tls.pc.
if(TARGET portsock_tls)
  set_target_properties(portsock_tls PROPERTIES EXPORT_NAME tls)
  install(TARGETS portsock_tls EXPORT portsockTlsTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/include/portsock_tls.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT portsockTlsTargets NAMESPACE portsock:: DESTINATION ${PS_CMAKE_DIR})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/portsock-tls.pc.in
    ${PROJECT_BINARY_DIR}/portsock-tls.pc.in @ONLY)
  install(CODE "
    set(PS_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${PROJECT_BINARY_DIR}/portsock-tls.pc.in\"
      \"${PROJECT_BINARY_DIR}/portsock-tls.pc\" @ONLY)")
  install(FILES ${PROJECT_BINARY_DIR}/portsock-tls.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

# The single-file build (portsock.c beside a copy of portsock.h), generated
# from the sources of both platforms, in share/portsock.
if(PS_INSTALL_AMALGAMATION)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  file(GLOB_RECURSE PS_AMALG_INPUTS CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/src/*.c ${PROJECT_SOURCE_DIR}/src/*.h)
  set(PS_AMALG_DIR ${PROJECT_BINARY_DIR}/amalgamation)
  add_custom_command(OUTPUT ${PS_AMALG_DIR}/portsock.c ${PS_AMALG_DIR}/portsock.h
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tools/amalgamate.py ${PS_AMALG_DIR}
    DEPENDS ${PROJECT_SOURCE_DIR}/tools/amalgamate.py ${PS_AMALG_INPUTS}
      ${PROJECT_SOURCE_DIR}/include/portsock.h ${PROJECT_SOURCE_DIR}/CMakeLists.txt
    COMMENT "Generating the single-file build portsock.c" VERBATIM)
  add_custom_target(portsock_amalgamation ALL
    DEPENDS ${PS_AMALG_DIR}/portsock.c ${PS_AMALG_DIR}/portsock.h)
  install(FILES ${PS_AMALG_DIR}/portsock.c ${PS_AMALG_DIR}/portsock.h
    DESTINATION ${CMAKE_INSTALL_DATADIR}/portsock)
endif()
