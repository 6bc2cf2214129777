# Build stage: the same install script and build as README.md.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCARTOPULL_TESTS=OFF -DCARTOPULL_BENCH=OFF \
 && cmake --build /build --target cartopull \
 && strip /build/daemon/cartopull

# Runtime stage: the binary, its runtime libraries and a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
      libboost-json1.81.0 libboost-url1.81.0 libssl3 libsqlite3-0 libyaml-cpp0.7 libspdlog1.10 \
      libfmt9 libprometheus-cpp-core1.0 libsystemd0 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/cartopull --shell /usr/sbin/nologin cartopull \
 && mkdir -p /var/lib/cartopull /etc/cartopull && chown cartopull: /var/lib/cartopull
COPY --from=build /build/daemon/cartopull /usr/bin/cartopull
COPY config/cartopull.example.yaml /etc/cartopull/cartopull.example.yaml
USER cartopull
VOLUME ["/var/lib/cartopull"]
EXPOSE 9464
ENV CARTOPULL_CONFIG=/etc/cartopull/cartopull.yaml
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["curl", "-fsS", "http://127.0.0.1:9464/healthz"]
ENTRYPOINT ["/usr/bin/cartopull"]
CMD ["serve"]
