# SPDX-License-Identifier: MIT
# Reference documentation: the man pages in man/ (installed with PS_INSTALL)
# and, with PS_BUILD_DOCS, the Doxygen HTML of include/portsock.h and
# include/portsock_tls.h (target `docs`). Included from the top-level
# CMakeLists.txt after the examples and portsock_tls, so a program's page is
# installed only with the program and portsock_tls.3 only with portsock_tls.

if(PS_INSTALL)
  # Every man/NAME.N goes to man<N>. A section 1 page belongs to a program:
  # installed when that program is built here (psnc with the examples). A
  # section 3 page of an optional library, portsock_NAME.3 (portsock_tls.3),
  # is installed when that library is, as its header is
  # (PortsockInstall.cmake): no page for an API the prefix does not have.
  file(GLOB PS_MAN_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.[1-9])
  foreach(page IN LISTS PS_MAN_PAGES)
    get_filename_component(name ${page} NAME_WE)
    string(REGEX MATCH "[1-9]$" section ${page})
    if(section STREQUAL "1" AND NOT TARGET ${name})
      continue()
    endif()
    if(section STREQUAL "3" AND name MATCHES "^portsock_" AND NOT TARGET ${name})
      continue()
    endif()
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
endif()

if(PS_BUILD_DOCS)
  find_package(Doxygen REQUIRED COMPONENTS doxygen)
  # docs/Doxyfile, with this tree's output directory and version. Warnings
  # fail the build where warnings are errors (PS_WERROR).
  if(PS_WERROR)
    set(ps_doc_werror FAIL_ON_WARNINGS)
  else()
    set(ps_doc_werror NO)
  endif()
  set(PS_DOCS_DIR ${PROJECT_BINARY_DIR}/docs)
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/Doxyfile CONTENT
"@INCLUDE = ${PROJECT_SOURCE_DIR}/docs/Doxyfile
OUTPUT_DIRECTORY = \"${PS_DOCS_DIR}\"
PROJECT_NUMBER = ${PROJECT_VERSION}
WARN_AS_ERROR = ${ps_doc_werror}
")
  # Doxygen keeps pages of declarations that are gone: start from nothing.
  add_custom_command(OUTPUT ${PS_DOCS_DIR}/html/index.html
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${PS_DOCS_DIR}/html
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PS_DOCS_DIR}
    COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/Doxyfile
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DEPENDS ${PROJECT_SOURCE_DIR}/include/portsock.h ${PROJECT_SOURCE_DIR}/include/portsock_tls.h
      ${PROJECT_SOURCE_DIR}/docs/mainpage.md
      ${PROJECT_SOURCE_DIR}/docs/Doxyfile ${PROJECT_BINARY_DIR}/Doxyfile
    COMMENT "Generating the HTML reference (Doxygen) in ${PS_DOCS_DIR}/html" VERBATIM)
  add_custom_target(docs ALL DEPENDS ${PS_DOCS_DIR}/html/index.html)
  if(PS_INSTALL)
    install(DIRECTORY ${PS_DOCS_DIR}/html DESTINATION ${CMAKE_INSTALL_DOCDIR})
  endif()
endif()
