#!/usr/bin/env sh
# `docker compose`, plus a checksum of each service's config files, so that `up -d` restarts a
# service whose config changed and nothing else:
#
#   scripts/compose.sh up -d                  # instead of: docker compose up -d
#   scripts/compose.sh -f docker-compose.yml -f docker-compose.proxy.yml up -d
#
# Why a wrapper: compose recreates a container when the service's definition changes (image,
# environment, labels, mounts...), never when a file it mounts changes (docker/compose#11900),
# and it cannot read a file's content into a variable. So this script hashes infra/turn (coturn's
# config and the start script that fills it in) and infra/caddy (the Caddyfiles) and hands the
# hashes to compose as PARLEY_TURN_CONFIG_SHA and PARLEY_CADDY_CONFIG_SHA. docker-compose.yml
# puts them in a label of the coturn and caddy services: an edited turnserver.conf changes
# coturn's label, and `up -d` recreates coturn (only). Arguments go to compose unchanged.
#
# It uses `docker compose` (the plugin) or, without it, docker-compose 1.29+; set COMPOSE to
# choose (e.g. COMPOSE=docker-compose).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

# One checksum over the files of a directory, in name order (sha256sum as coreutils has it).
tree_sha() {
  (cd "$here/$1" && find . -type f ! -name '*.test.*' ! -name '*.md' | LC_ALL=C sort |
    xargs sha256sum | sha256sum | cut -c1-16)
}
PARLEY_TURN_CONFIG_SHA=$(tree_sha infra/turn)
PARLEY_CADDY_CONFIG_SHA=$(tree_sha infra/caddy)
export PARLEY_TURN_CONFIG_SHA PARLEY_CADDY_CONFIG_SHA

if [ -n "${COMPOSE:-}" ]; then
  # shellcheck disable=SC2086 # COMPOSE may be two words ("docker compose").
  exec $COMPOSE "$@"
elif docker compose version >/dev/null 2>&1; then
  exec docker compose "$@"
else
  exec docker-compose "$@"
fi
