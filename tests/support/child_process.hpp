#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cartopull::testing {

// A program started by a test, with stdout and stderr captured in files. The destructor kills it
// (SIGKILL) if it still runs, so a failing test never leaves a process behind.
class ChildProcess {
 public:
  // Starts `argv[0]` with the current environment plus `env` overrides (an empty value unsets).
  ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
               std::string stdin_path = "/dev/null");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;

  // Exit status (or 128+signal) once it exits; nullopt when `limit` passes first.
  std::optional<int> wait(std::chrono::milliseconds limit);

  // Polls stderr until it contains `text` or `limit` passes.
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds limit) const;

  std::string out() const;
  std::string err() const;
  const std::string& stderr_path() const { return err_path_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_, err_path_;
};

// Runs a program to completion (hard limit `limit`, then killed: status -1) and returns
// {status, stdout, stderr}.
struct RunResult {
  int status = -1;
  std::string out, err;
};
RunResult run_program(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                      std::chrono::seconds limit = std::chrono::seconds(30));

std::string read_file(const std::string& path);

// A fresh directory under /tmp, removed with its contents by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

}  // namespace cartopull::testing
