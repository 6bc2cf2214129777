# Install layout and the Debian package. Included once, at the end of the top-level CMakeLists.txt.
#
#   cmake --install build --prefix /opt/cp      /opt/cp/{bin,etc/cartopull,lib/systemd/system,share/doc/cartopull}
#   DESTDIR=/x cmake --install build --prefix /usr  /x/usr/bin, /x/etc/cartopull, /x/lib/systemd/system, ...
#   cpack -G DEB --config build/CPackConfig.cmake   cartopull_<version>_<arch>.deb with dpkg-shlibdeps Depends
#
# /etc and /lib/systemd/system are chosen at install time, not configure time, so that the .deb (always
# prefix /usr) comes out right from any build directory, whatever CMAKE_INSTALL_PREFIX it was configured with.
include_guard(GLOBAL)
include(GNUInstallDirs)

install(TARGETS cartopull RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md docs/operations.md config/cartopull.example.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY contrib/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/contrib
        PATTERN "*_test.yml" EXCLUDE)

# Prefix /usr (and /) means a system install: /etc and /lib/systemd/system as Debian 12 packages use;
# any other prefix keeps everything below it (systemd also reads /usr/local/lib/systemd/system).
set(_cartopull_src "${PROJECT_SOURCE_DIR}")
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\" OR CMAKE_INSTALL_PREFIX STREQUAL \"/\")
    set(_cartopull_root \"\")
  else()
    set(_cartopull_root \"\${CMAKE_INSTALL_PREFIX}\")
  endif()
  file(INSTALL DESTINATION \"\${_cartopull_root}/etc/cartopull\" TYPE FILE
       FILES \"${_cartopull_src}/config/cartopull.example.yaml\")
  file(INSTALL DESTINATION \"\${_cartopull_root}/lib/systemd/system\" TYPE FILE
       FILES \"${_cartopull_src}/systemd/cartopull.service\")
")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cartopull)
set(CPACK_PACKAGE_VENDOR "cartopull")
set(CPACK_PACKAGE_CONTACT "cartopull maintainers <cartopull@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "keeps a local SQLite copy of what a CARTO account's Maps API serves")
set(CPACK_PACKAGE_DESCRIPTION
    "A daemon that schedules extraction jobs against the CARTO Maps API (map definitions, layergroup tokens\n\
and metadata, static images, XYZ tile pyramids) under rate limits, stores the results in SQLite and\n\
exports Prometheus metrics. Ships a hardened systemd unit (not enabled on install).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# DESTDIR staging: the install(CODE) above then sees CMAKE_INSTALL_PREFIX=/usr and lays out /etc, /lib.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime Depends from the binary's NEEDED libraries (dpkg-shlibdeps, in dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates, sqlite3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, logrotate")
# The example config under /etc is the operator's to edit: dpkg keeps their changes on upgrade.
file(WRITE "${PROJECT_BINARY_DIR}/cpack-deb/conffiles" "/etc/cartopull/cartopull.example.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_BINARY_DIR}/cpack-deb/conffiles")
include(CPack)
