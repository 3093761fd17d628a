#!/usr/bin/env bash
# Builds the image for real and checks it the way a cluster would run it (docs/deployment.md,
# "The image"): read-only root, non-root user, /readyz through the HEALTHCHECK script, and the
# drain on SIGTERM with the primary as PID 1. Registries are unreachable here, so the base is
# the stand-in of deploy/image/local-base.sh. Root, podman (runc) and debootstrap needed.
#   npm run image:check        (about 10 minutes on 2 cores the first time)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF="$PWD/deploy/image/containers.conf"
deploy/image/local-base.sh
podman build --format docker --network=host --build-arg NODE_IMAGE=localhost/node:20-bookworm-slim \
  --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" -t localhost/turnpike:check . >/tmp/turnpike-image-build.log
size=$(podman image inspect localhost/turnpike:check --format '{{.Size}}')
base=$(podman image inspect localhost/node:20-bookworm-slim --format '{{.Size}}')
echo "image: $((size / 1000000)) MB (base $((base / 1000000)) MB, Turnpike's layers $(((size - base) / 1000000)) MB)"
podman image inspect localhost/turnpike:check --format 'user {{.Config.User}}; healthcheck {{json .HealthCheck.Test}}; labels {{json .Config.Labels}}'

# An upstream for the container: anvil from the image itself, on the host network.
port=$((20000 + RANDOM % 10000)); anvil_port=$((port + 1))
cleanup() { podman rm -f tp-check tp-anvil >/dev/null 2>&1 || true; }
trap cleanup EXIT
podman run -d --name tp-anvil --network=host --entrypoint node localhost/turnpike:check \
  /app/node_modules/@foundry-rs/anvil/bin.mjs --port "$anvil_port" >/dev/null
# --no-healthcheck: podman would schedule the image's HEALTHCHECK with systemd timers (there is
# no systemd here); the script runs the same check itself below.
podman run -d --name tp-check --network=host --no-healthcheck --read-only --tmpfs /tmp \
  -e UPSTREAM_URL="http://127.0.0.1:$anvil_port" -e CHAIN_ID=31337 -e TURNPIKE_WORKERS=2 \
  -e TURNPIKE_HEALTHCHECK_URL="http://127.0.0.1:$port/readyz" \
  localhost/turnpike:check start --config /etc/turnpike/turnpike.yaml --port "$port" >/dev/null
for _ in $(seq 1 60); do
  if podman exec tp-check node /app/deploy/image/healthcheck.mjs 2>/dev/null; then break; fi
  sleep 1
done
podman exec tp-check node /app/deploy/image/healthcheck.mjs && echo "healthcheck: /readyz 200"
curl -sf "http://127.0.0.1:$port/eth" -H 'content-type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' && echo
echo "processes: $(podman top tp-check user pid args | tail -n +2 | tr -s ' ' | tr '\n' ';')"
# Nothing may write outside /data and /tmp.
if podman exec tp-check sh -c 'touch /app/x' 2>/dev/null; then echo "FAIL: /app is writable"; exit 1; fi
echo "read-only root: /app not writable"
start=$(date +%s%N)
podman stop -t 30 tp-check >/dev/null
echo "stop (SIGTERM to PID 1): exit $(podman inspect tp-check --format '{{.State.ExitCode}}') after $((($(date +%s%N) - start) / 1000000)) ms"
podman logs tp-check 2>&1 | tail -3
