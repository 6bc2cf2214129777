# Compiler cache, linker and warning policy shared by every target.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

find_program(MOLD_PROGRAM mold)
if(MOLD_PROGRAM AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
   AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12.1)
  add_link_options(-fuse-ld=mold)
endif()

# Applied per target through cartopull_warnings so that third-party headers stay quiet.
add_library(cartopull_warnings INTERFACE)
target_compile_options(cartopull_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wimplicit-fallthrough
  # g++ 12 flags Asio's coroutine frame allocator as mismatched new/delete: a known false positive.
  -Wno-mismatched-new-delete)
# g++ 12 at -O3 reports -Wrestrict inside std::string's own memcpy (GCC bug 105329): not our code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(cartopull_warnings INTERFACE -Wno-restrict)
endif()
if(CARTOPULL_WERROR)
  target_compile_options(cartopull_warnings INTERFACE -Werror)
endif()

if(CARTOPULL_SANITIZE)
  # g++ 12 reports false -Wmaybe-uninitialized inside std::regex and std::function under ASan at -O2.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
                      -Wno-maybe-uninitialized)
  add_link_options(-fsanitize=address,undefined)
endif()

if(CARTOPULL_TSAN)
  if(CARTOPULL_SANITIZE)
    message(FATAL_ERROR "CARTOPULL_TSAN and CARTOPULL_SANITIZE cannot be combined")
  endif()
  # -O1 keeps TSan's 5-15x slowdown bearable; frame pointers give whole race stacks.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -O1)
  # TSan cannot model std::atomic_thread_fence (g++ -Wtsan). Asio's fenced blocks only add ordering on
  # top of the scheduler's mutex hand-off, which TSan does see, so they go in this build.
  add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
  add_link_options(-fsanitize=thread)
endif()
