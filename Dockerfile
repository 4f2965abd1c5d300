# Multi-stage: build with the Rust toolchain, run on a slim Debian with only the binary.
# SQLite, libpq and its OpenSSL are compiled in (bundled), so the runtime image needs no client
# libraries; the build image has the perl and make that the OpenSSL build uses.
# Pinned: a new Rust or Debian release changes the image only when this line changes.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs openapi.yaml ./
COPY src ./src
COPY migrations ./migrations
# The web pages' templates (askama, compiled in) and static files (embedded).
COPY templates ./templates
COPY static ./static
# Cargo.toml names the benches: the manifest does not parse without them.
COPY benches ./benches
RUN cargo build --release --locked

FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/korsel --create-home korsel
COPY --from=build /src/target/release/korsel /usr/local/bin/korsel
USER korsel
WORKDIR /var/lib/korsel
# The SQLite database (the default) lives here: keep it on a volume.
VOLUME ["/var/lib/korsel"]
ENV KORSEL_BIND=0.0.0.0:8080 \
    KORSEL_DATABASE_URL=sqlite:///var/lib/korsel/korsel.db \
    KORSEL_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fs http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["korsel"]
CMD ["serve"]
