# cartopull container image: a Debian 12 build stage and a bookworm-slim runtime stage.
#   podman build --format docker -t cartopull .      (scripts/container-build.sh does it without a registry)
#   podman run -v ./cartopull.yaml:/etc/cartopull/cartopull.yaml:ro -v cartopull-data:/var/lib/cartopull \
#     -e CARTO_API_KEY -p 9464:9464 cartopull
# docs/operations.md "Container" explains the config, the key (env or secret file) and the health check.

# Build stage: the same install script and build as README.md.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN ./scripts/build.sh --dir /build --type Release cartopull \
 && strip --strip-unneeded /build/daemon/cartopull
# The runtime packages are the ones dpkg-shlibdeps derives from the binary's NEEDED libraries.
RUN mkdir -p /tmp/shlibs/debian && touch /tmp/shlibs/debian/control \
 && cd /tmp/shlibs \
 && dpkg-shlibdeps -O /build/daemon/cartopull 2>/dev/null \
    | sed -n 's/^shlibs:Depends=//p' | tr ',' '\n' | sed 's/(.*)//; s/ //g' | grep -v '^$' > /build/runtime-packages \
 && cat /build/runtime-packages

# Runtime stage: the binary, its runtime libraries, CA certificates, curl for the health check.
FROM debian:bookworm-slim
COPY --from=build /build/runtime-packages /tmp/runtime-packages
RUN apt-get update && apt-get install -y --no-install-recommends $(cat /tmp/runtime-packages) ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/runtime-packages \
 && groupadd --system --gid 10001 cartopull \
 && useradd --system --uid 10001 --gid cartopull --home-dir /var/lib/cartopull --shell /usr/sbin/nologin cartopull \
 && mkdir -p /var/lib/cartopull /etc/cartopull \
 && chown cartopull:cartopull /var/lib/cartopull
COPY --from=build /build/daemon/cartopull /usr/bin/cartopull
COPY config/cartopull.example.yaml /etc/cartopull/cartopull.example.yaml
USER cartopull:cartopull
WORKDIR /var/lib/cartopull
VOLUME ["/var/lib/cartopull"]
# /metrics, /healthz, /readyz: the config's server.listen must be 0.0.0.0:9464 (with a bearer_token).
EXPOSE 9464
ENV CARTOPULL_CONFIG=/etc/cartopull/cartopull.yaml
# No --start-period: dockerfilelint 1.8 rejects it; the daemon answers within a second of starting.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "4", "--output", "/dev/null", "http://127.0.0.1:9464/healthz"]
STOPSIGNAL SIGTERM
# Exec form: cartopull is PID 1 and receives SIGTERM itself (it drains, then exits 0).
ENTRYPOINT ["/usr/bin/cartopull"]
CMD ["serve"]
