# syntax=docker/dockerfile:1
# mluvme: one static-ish binary on a distroless base.
#
# TLS is rustls everywhere (no OpenSSL in the image). Root certificates: teloxide's client
# bundles the webpki roots, but the OpenAI and S3 clients (reqwest 0.13, rustls-platform-verifier)
# and Redis over TLS (fred, rustls-native-certs) read the system store, /etc/ssl/certs — which
# distroless/cc ships (with glibc and libgcc, all the binary links against). SQLite is compiled
# in; locales and the chart font are embedded in the binary.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target directories are cache mounts (kept between builds, absent from the
# layer), so the binary is copied out within the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p mluvme --bin mluvme \
    && install -D target/release/mluvme /out/mluvme

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/mluvme /usr/local/bin/mluvme
# uid 65532: nothing in the container runs as root.
USER nonroot:nonroot
WORKDIR /home/nonroot
# PORT serves the webhook, /healthz, /readyz and /metrics (fly.toml sets it).
EXPOSE 8080
# No ENTRYPOINT: Fly's release command `mluvme migrate` runs the same binary.
CMD ["mluvme", "run"]
