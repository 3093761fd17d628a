#!/usr/bin/env bash
# Builds a stand-in for the official node:20-bookworm-slim image where image registries are
# unreachable (this project's CI machines): a Debian bookworm minbase root from Debian's mirror
# (debootstrap) plus this machine's Node.js 20 and npm, laid out as the official image does
# (/usr/local/bin/node, /usr/local/lib/node_modules/npm). Then the Dockerfile is built on it with
#   podman build --build-arg NODE_IMAGE=localhost/node:20-bookworm-slim .
# Usage: deploy/image/local-base.sh [work dir]   (root; needs debootstrap and podman)
set -euo pipefail
work="${1:-/tmp/turnpike-base}"
tag="localhost/node:20-bookworm-slim"
if podman image exists "$tag"; then echo "$tag exists"; exit 0; fi
node_bin="$(command -v node)"
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
case "$("$node_bin" --version)" in v20.*) ;; *) echo "need Node.js 20 on this machine" >&2; exit 1;; esac
rm -rf "$work" && mkdir -p "$work"
debootstrap --variant=minbase --include=ca-certificates bookworm "$work/root" http://deb.debian.org/debian >"$work/debootstrap.log"
install -D -m 0755 "$node_bin" "$work/root/usr/local/bin/node"
mkdir -p "$work/root/usr/local/lib/node_modules"
cp -a "$(readlink -f "$npm_dir")" "$work/root/usr/local/lib/node_modules/npm"
# Node's headers, as in the official image: node-gyp builds native addons against them (the
# download from nodejs.org it would otherwise try is unreachable here).
mkdir -p "$work/root/usr/local/include"
cp -a "$(dirname "$node_bin")/../include/node" "$work/root/usr/local/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/root/usr/local/bin/npx"
# This machine reaches the npm registry through a TLS-intercepting proxy: its CA bundle goes into
# the stand-in (and only there), so `npm ci` in the build stage can verify the registry.
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$work/root/usr/local/share/ca-certificates/build-host.crt"
# As the official image: no apt lists, no docs.
rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/usr/share/doc/"* "$work/root/usr/share/man/"*
tar -C "$work/root" -cf "$work/root.tar" .
podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/build-host.crt' \
  --change 'ENV npm_config_nodedir=/usr/local' \
  --change 'CMD ["node"]' "$work/root.tar" "$tag" >/dev/null
rm -rf "$work"
echo "$tag"
