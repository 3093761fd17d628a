# syntax=docker/dockerfile:1
# Turnpike gateway and relayer image (docs/deployment.md).
#   docker build -t turnpike:0.1.0 .
#   docker run --read-only -v turnpike-data:/data -p 4000:4000 turnpike:0.1.0 start --config /etc/turnpike/turnpike.yaml
# NODE_IMAGE is the official Node 20 slim image; CI here passes a locally built equivalent
# (test/deploy/image-build.test.ts), because image registries are unreachable from it.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript and the SQLite binding, then drop dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 falls back to compiling from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Install scripts are skipped here and only the two that are needed run below, explicitly:
# `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npm rebuild better-sqlite3 @foundry-rs/anvil
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY contracts ./contracts
COPY examples ./examples
# After the prune: the SQLite sources and object files of the native build (25 MB), and
# TypeScript, which viem lists as a peer for its types only (23 MB; nothing loads it at run time).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && find dist -name '*.map' -delete \
 && rm -rf src tsconfig.json tsconfig.build.json node_modules/typescript \
      node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
      node_modules/better-sqlite3/build/Release/obj node_modules/better-sqlite3/build/Release/obj.target

# ---- runtime: production dependencies only, non-root, read-only root filesystem ----
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="turnpike" \
      org.opencontainers.image.description="Self-hosted, multi-tenant blockchain RPC gateway and transaction relayer" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/turnpike/turnpike"
ENV NODE_ENV=production \
    HOME=/data
WORKDIR /app
COPY --from=build --chown=root:root /app /app
COPY deploy/image/turnpike.yaml /etc/turnpike/turnpike.yaml
COPY deploy/image/healthcheck.mjs /app/deploy/image/healthcheck.mjs
# The only writable path: SQLite lives here when no PostgreSQL is configured.
RUN mkdir -p /data && chown 10001:10001 /data \
 && ln -s /app/bin/turnpike.js /usr/local/bin/turnpike
VOLUME ["/data"]
USER 10001:10001
EXPOSE 4000
# The primary is PID 1: it handles SIGTERM itself (drain, then exit 0) and reaps its workers
# (measured in docs/deployment.md, "PID 1"); no init process is needed.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "/app/deploy/image/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/turnpike.js"]
CMD ["start", "--config", "/etc/turnpike/turnpike.yaml"]
