#pragma once

namespace cartopull {

// Process exit statuses, from sysexits(3) where one fits; systemd's unit uses
// RestartPreventExitStatus=78 so that a bad config is not restarted in a loop.
enum class ExitCode : int {
  ok = 0,
  failure = 1,       // a job run finished but not ok
  usage = 64,        // EX_USAGE: bad command line
  unavailable = 69,  // EX_UNAVAILABLE: a service we need is not there
  software = 70,     // EX_SOFTWARE: internal error
  cant_create = 73,  // EX_CANTCREAT: cannot create an output file
  io_error = 74,     // EX_IOERR
  config = 78,       // EX_CONFIG: configuration error
};

constexpr int to_int(ExitCode c) noexcept {
  return static_cast<int>(c);
}

}  // namespace cartopull
