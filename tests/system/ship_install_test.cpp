// Install layout (cmake/Packaging.cmake): `cmake --install` and the CPack .deb put the binary, unit,
// example config and docs in FHS places.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "support/child_process.hpp"

using cartopull::testing::read_file;
using cartopull::testing::run_program;
using cartopull::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kBuild = CARTOPULL_BINARY_DIR;

// Packaging.cmake writes CPackConfig.cmake; without it the top-level CMakeLists.txt does not include it.
bool packaging_included() {
  return fs::exists(kBuild + "/CPackConfig.cmake");
}

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXOTH) != 0;
}

}  // namespace

TEST(ShipInstall, prefix_install_keeps_everything_below_the_prefix) {
  ASSERT_TRUE(packaging_included()) << "CMakeLists.txt must include(cmake/Packaging.cmake)";
  TempDir dir;
  auto r = run_program({"/usr/bin/cmake", "--install", kBuild, "--prefix", dir.path()});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto p = dir.path();
  EXPECT_TRUE(is_executable(p + "/bin/cartopull"));
  EXPECT_TRUE(fs::is_regular_file(p + "/etc/cartopull/cartopull.example.yaml"));
  EXPECT_TRUE(fs::is_regular_file(p + "/lib/systemd/system/cartopull.service"));
  for (const char* doc :
       {"README.md", "operations.md", "cartopull.example.yaml", "contrib/prometheus/alerts.yml",
        "contrib/grafana/cartopull.json", "contrib/logrotate/cartopull"})
    EXPECT_TRUE(fs::is_regular_file(p + "/share/doc/cartopull/" + doc)) << doc;
  // promtool's unit tests are for developers, not operators.
  EXPECT_FALSE(fs::exists(p + "/share/doc/cartopull/contrib/prometheus/alerts_test.yml"));
  auto v = run_program({p + "/bin/cartopull", "version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("cartopull ", 0), 0u) << v.out;
}

TEST(ShipInstall, usr_prefix_puts_config_in_etc_and_the_unit_in_lib_systemd) {
  ASSERT_TRUE(packaging_included()) << "CMakeLists.txt must include(cmake/Packaging.cmake)";
  TempDir dir;
  auto r =
      run_program({"/usr/bin/cmake", "--install", kBuild, "--prefix", "/usr"}, {{"DESTDIR", dir.path()}});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto p = dir.path();
  EXPECT_TRUE(is_executable(p + "/usr/bin/cartopull"));
  EXPECT_TRUE(fs::is_regular_file(p + "/etc/cartopull/cartopull.example.yaml"));
  EXPECT_TRUE(fs::is_regular_file(p + "/lib/systemd/system/cartopull.service"));
  EXPECT_TRUE(fs::is_regular_file(p + "/usr/share/doc/cartopull/operations.md"));
  EXPECT_FALSE(fs::exists(p + "/usr/etc"));
  EXPECT_FALSE(fs::exists(p + "/usr/lib/systemd"));
}

TEST(ShipInstall, deb_has_fhs_paths_shlib_depends_and_a_conffile) {
  ASSERT_TRUE(packaging_included()) << "CMakeLists.txt must include(cmake/Packaging.cmake)";
  TempDir dir;
  // Packing the Debug ASan binary (dpkg-shlibdeps, compression) passed 30 s at load 7-8 on 2 cores.
  auto r = run_program(
      {"/usr/bin/cpack", "-G", "DEB", "--config", kBuild + "/CPackConfig.cmake", "-B", dir.path()}, {},
      std::chrono::seconds(240));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  std::string deb;
  for (const auto& e : fs::directory_iterator(dir.path()))
    if (e.path().extension() == ".deb") deb = e.path().string();
  ASSERT_FALSE(deb.empty()) << r.out;

  auto contents = run_program({"/usr/bin/dpkg-deb", "--contents", deb});
  ASSERT_EQ(contents.status, 0) << contents.err;
  for (const char* path :
       {" ./usr/bin/cartopull\n", " ./lib/systemd/system/cartopull.service\n",
        " ./etc/cartopull/cartopull.example.yaml\n", " ./usr/share/doc/cartopull/README.md\n"})
    EXPECT_NE(contents.out.find(path), std::string::npos) << path << contents.out;
  EXPECT_EQ(contents.out.find("./usr/local/"), std::string::npos) << contents.out;

  // Depends comes from dpkg-shlibdeps over the binary's NEEDED libraries, so it tracks what we link.
  auto depends = run_program({"/usr/bin/dpkg-deb", "--field", deb, "Depends"});
  ASSERT_EQ(depends.status, 0) << depends.err;
  for (const char* pkg : {"libc6", "libstdc++6", "libssl3", "libsystemd0", "libyaml-cpp0.7", "libspdlog1.10"})
    EXPECT_NE(depends.out.find(pkg), std::string::npos) << pkg << ": " << depends.out;

  TempDir control;
  ASSERT_EQ(run_program({"/usr/bin/dpkg-deb", "--control", deb, control.path()}).status, 0);
  EXPECT_EQ(read_file(control.file("conffiles")), "/etc/cartopull/cartopull.example.yaml\n");
}
