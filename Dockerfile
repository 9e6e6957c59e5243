# The static relay on an empty base. Build context: the repository root.
#   docker build -t roundtrip .
#   docker run -p 8080:8080 -e ROUNDTRIP_ORIGINS=https://roundtrip.example roundtrip
# Settings come from the environment (ROUNDTRIP_*; see `roundtrip serve
# --help`) or a file mounted at /etc/roundtrip/public.toml with
# ROUNDTRIP_CONFIG=/etc/roundtrip/public.toml.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends musl-tools cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Installs Trunk, wasm-bindgen and wasm-opt, builds the page, then the
# static relay with the page embedded: target/dist/roundtrip.
RUN cargo xtask dist

# The smallest base with a `wget` for the health check; the relay itself
# needs nothing from it (it is static).
FROM busybox:1.36-musl
COPY --from=build /src/target/dist/roundtrip /roundtrip
# Not root: the relay writes nothing and listens above 1024.
USER nobody
ENV ROUNDTRIP_HOST=0.0.0.0 \
    ROUNDTRIP_PORT=8080 \
    ROUNDTRIP_PUBLIC=true
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/roundtrip", "serve"]
