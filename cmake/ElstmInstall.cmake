# `cmake --install` (README "Co-simulation"): the libraries with their headers and a CMake
# package, so another SystemC design can `find_package(elstm_vp)` and link
# `elstm_vp::elstm_vp`; the executables and the firmware they load go to bin/.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

# The one target a user links: every library of the virtual platform.
add_library(elstm_vp INTERFACE)
add_library(elstm_vp::elstm_vp ALIAS elstm_vp)
target_link_libraries(elstm_vp INTERFACE elstm_platform elstm_platform_config elstm_models elstm_numeric
  elstm_iss elstm_semihosting elstm_gdb elstm_elf)
# Debian's SystemC is built for C++17 and fails to link from C++20 code.
target_compile_features(elstm_vp INTERFACE cxx_std_17)

set(elstm_include_dir ${CMAKE_INSTALL_INCLUDEDIR}/elstm_vp)
set(elstm_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/elstm_vp)

install(TARGETS elstm_vp elstm_platform elstm_platform_config elstm_models elstm_numeric elstm_iss elstm_semihosting
  elstm_gdb elstm_elf
  EXPORT elstm_vp_targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT elstm_vp_targets NAMESPACE elstm_vp:: FILE elstm_vpTargets.cmake DESTINATION ${elstm_cmake_dir})

# Headers under one prefix, by the paths the sources include them by (the build tree offers the
# same, cmake/ElstmIncludeTree.cmake): <elstm_vp/accel/accelerator.hpp>,
# <elstm_vp/numeric/esell.hpp>, <elstm_vp/platform/platform.hpp>, <elstm_vp/elstm_desc.h>; users
# have only <prefix>/include on their include path.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/ DESTINATION ${elstm_include_dir} FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/platform/ DESTINATION ${elstm_include_dir}/platform
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_SOURCE_DIR}/firmware/include/elstm_desc.h ${PROJECT_SOURCE_DIR}/firmware/include/elstm_fw.h
  DESTINATION ${elstm_include_dir})

# elstm-vp looks for its firmware in firmware/ beside the executable (platform.cpp).
install(TARGETS elstm-vp elstm-esell elstm-tune RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_BINARY_DIR}/firmware/elstm.elf ${CMAKE_BINARY_DIR}/firmware/lstm_cpu.elf ${CMAKE_BINARY_DIR}/firmware/classify.elf
  DESTINATION ${CMAKE_INSTALL_BINDIR}/firmware)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/elstm_vpConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/elstm_vpConfig.cmake INSTALL_DESTINATION ${elstm_cmake_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/elstm_vpConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/elstm_vpConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/elstm_vpConfigVersion.cmake
  DESTINATION ${elstm_cmake_dir})
