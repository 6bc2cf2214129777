#!/usr/bin/env bash
# Sourced by scripts/container-*.sh: a containers.conf for this kind of machine (no Docker engine, no
# systemd as PID 1): runc, cgroupfs, file events, host network, and ulimits within the host's own.

write_containers_conf() {
  local dir=$1
  mkdir -p "$dir"
  cat >"$dir/containers.conf" <<EOF
[containers]
netns = "host"
default_ulimits = ["nofile=$(ulimit -Sn):$(ulimit -Hn)", "nproc=4096:4096"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  export CONTAINERS_CONF="$dir/containers.conf"
  # podman 4.3 running as root asks runc for nofile/nproc above the host's hard limits and does not
  # apply default_ulimits to them: pass the host's own limits on every run. No systemd here to drive
  # HEALTHCHECK timers: one-shot runs add --no-healthcheck, the test runs the check itself.
  # nproc 4096: ample for a daemon of a few threads, and accepted here (runc refused 65536 and up).
  # shellcheck disable=SC2034  # used by the scripts that source this file
  podman_run_args=(--network=host
    --ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" --ulimit "nproc=4096:4096")
}
