# ninet_library(NAME folder DEPS a b c [EXTRA_LIBS ...])
#
# One CMake library per folder under src/. Sources are every .cc in the folder except
# *_test.cc (unit tests, linked into NAME_test and registered with CTest), *_fuzz.cc
# (libFuzzer targets, built when NINET_FUZZ is on) and *_benchmark.cc. New files are
# picked up without editing CMake (CONFIGURE_DEPENDS).
#
# Layering (../shared/DESIGN.md, "Layers and folders"; .ci/check-layers holds the same
# table). Includes are rooted at src/ ("base/ipaddr.h"), but a library is not given src/:
# it gets its own include root, <build>/layers/NAME/, which holds symlinks to its own
# folder and to the folders of its DEPS, transitively, and to nothing else. A header of
# a folder the library may not use is simply not there: `#include "ns/tree.h"` (or
# <ns/tree.h>) in src/wire fails to compile. The library's tests and fuzz targets see the
# same root. DEPS must name ninet libraries defined earlier (src/CMakeLists.txt order).
#
# Targets that are not ninet libraries (cmd/, tests/, bench/: "anything") still get all
# of src/ when they link a ninet library: its INTERFACE include directory is src/ for
# every consumer that is not itself layered (property NINET_LAYERED).
#
# What the build cannot see is a quoted include that escapes through the including file's
# own directory ("../ns/tree.h", or "linux/tun.h" from src/media): the compiler always
# looks beside the file first. .ci/check-layers catches those, and checks each folder's
# direct includes and DEPS against the table itself.

# Fills <build>/layers/NAME/ with one symlink per folder of FOLDERS (sorted, so a parent
# folder comes before its sub-folders). A folder that holds another library's folder
# (media holds media/linux) is linked entry by entry, leaving that sub-folder out unless
# it is in FOLDERS too.
function(_ninet_layer_root root)
  file(REMOVE_RECURSE ${root})  # removes the links, never what they point to
  file(MAKE_DIRECTORY ${root})
  foreach(folder ${ARGN})
    set(dir ${PROJECT_SOURCE_DIR}/src/${folder})
    get_filename_component(parent ${root}/${folder} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(GLOB entries LIST_DIRECTORIES true RELATIVE ${dir} ${dir}/*)
    set(sublibs)
    foreach(e ${entries})
      if(EXISTS ${dir}/${e}/CMakeLists.txt)
        list(APPEND sublibs ${e})
      endif()
    endforeach()
    if(NOT sublibs)
      file(CREATE_LINK ${dir} ${root}/${folder} SYMBOLIC)
    else()
      # Entry by entry: re-run CMake when the folder gains or loses a file.
      file(GLOB entries CONFIGURE_DEPENDS LIST_DIRECTORIES true RELATIVE ${dir} ${dir}/*)
      file(MAKE_DIRECTORY ${root}/${folder})
      foreach(e ${entries})
        if(NOT e IN_LIST sublibs)
          file(CREATE_LINK ${dir}/${e} ${root}/${folder}/${e} SYMBOLIC)
        endif()
      endforeach()
    endif()
  endforeach()
endfunction()

# A layered target (a library's own sources, its tests and fuzz targets) compiles with
# ROOT as its only project include directory.
function(_ninet_layered target root)
  target_include_directories(${target} PRIVATE ${root})
  set_target_properties(${target} PROPERTIES NINET_LAYERED ON)
endfunction()

function(ninet_library name)
  cmake_parse_arguments(L "" "" "DEPS;EXTRA_LIBS" ${ARGN})
  file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  set(folders ${folder})
  foreach(dep ${L_DEPS})
    get_property(known GLOBAL PROPERTY NINET_LAYER_${dep} SET)
    if(NOT known)
      message(FATAL_ERROR "ninet_library(${name}): DEPS ${dep} is not a ninet library "
                          "defined before it (order in src/CMakeLists.txt; other "
                          "libraries go in EXTRA_LIBS)")
    endif()
    get_property(depfolders GLOBAL PROPERTY NINET_LAYER_${dep})
    list(APPEND folders ${depfolders})
  endforeach()
  list(REMOVE_DUPLICATES folders)
  list(SORT folders)
  set_property(GLOBAL PROPERTY NINET_LAYER_${name} ${folders})
  set(root ${PROJECT_BINARY_DIR}/layers/${name})
  _ninet_layer_root(${root} ${folders})
  set(anything ${PROJECT_SOURCE_DIR}/src)
  set(for_unlayered "$<$<NOT:$<BOOL:$<TARGET_PROPERTY:NINET_LAYERED>>>:${anything}>")

  file(GLOB all CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(srcs)
  set(tests)
  set(fuzzers)
  foreach(f ${all})
    if(f MATCHES "_test\\.cc$")
      list(APPEND tests ${f})
    elseif(f MATCHES "_fuzz\\.cc$")
      list(APPEND fuzzers ${f})
    elseif(f MATCHES "_benchmark\\.cc$")
    else()
      list(APPEND srcs ${f})
    endif()
  endforeach()
  if(srcs)
    add_library(${name} STATIC ${srcs})
    _ninet_layered(${name} ${root})
    target_include_directories(${name} INTERFACE ${for_unlayered})
    target_link_libraries(${name} PUBLIC ${L_DEPS} ${L_EXTRA_LIBS} Threads::Threads)
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${for_unlayered})
    target_link_libraries(${name} INTERFACE ${L_DEPS} ${L_EXTRA_LIBS})
  endif()
  if(tests AND NOT NINET_FUZZ)
    add_executable(${name}_test ${tests})
    _ninet_layered(${name}_test ${root})
    target_link_libraries(${name}_test PRIVATE ${name} GTest::gtest GTest::gtest_main)
    gtest_discover_tests(${name}_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
  endif()
  if(NINET_FUZZ)
    foreach(f ${fuzzers})
      get_filename_component(fname ${f} NAME_WE)
      add_executable(${fname} ${f})
      _ninet_layered(${fname} ${root})
      target_link_libraries(${fname} PRIVATE ${name} -fsanitize=fuzzer)
      set_property(GLOBAL APPEND PROPERTY NINET_FUZZERS ${fname})
    endforeach()
  endif()
endfunction()
