# Build: pure Rust TLS (rustls), so the runtime image needs no OpenSSL.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p mluvme

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/mluvme /usr/local/bin/mluvme
WORKDIR /data
CMD ["mluvme"]
