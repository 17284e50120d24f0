#!/usr/bin/env bash
# npm run test:compose: brings the real docker-compose.yml up on this machine and proves that
# https://DOMAIN answers through Caddy, a WebSocket join gets TURN credentials, coturn relays
# with them (and refuses a wrong one and private peers), and two Chromiums hold a relay-only
# call through the stack (e2e/compose/call-through-stack.spec.ts). Then, each in a file of its
# own (scripts/compose/, scripts/test-compose-scale.sh): a weak SIGNALING_SECRET, the stack
# behind nginx, LAN mode on an IP address with config-change restarts through
# scripts/compose.sh, an IPv6 client's address with and without docker-compose.ipv6.yml, and
# the scaled stack (three replicas and Redis behind Caddy).
#
# Where it runs: as root on Linux. A private containerd and dockerd run inside a network
# namespace of their own, so Docker's bridges, iptables rules and coturn's host networking stay
# out of the machine's own network; the namespace has one "public" address, 203.0.113.10, that
# DOMAIN (parley.test) resolves to for the test's clients, which run inside it too.
#
# What is real and what stands in: no image registry is reachable here, so the base images
# (node, coturn, caddy) are stand-ins built from Debian packages (debootstrap; the root
# filesystem is cached) and swapped in through the compose file's image variables; the
# Dockerfile's build stage cannot reach npm either, so its steps run on the host and their
# output enters the image through the Dockerfile's `prebuilt` stage. docker-compose.yml, the
# Dockerfile's runtime stage, the Caddyfile, turnserver.conf and start-coturn.sh are the shipped
# files, unchanged. Caddy uses its internal CA (CADDY_TLS=internal): ACME cannot reach a test
# domain.
#
# Everything it starts is stopped by PID, and everything it creates removed, on any exit.
# It skips itself (exit 0, with the reason) where it cannot run: not root, not Linux, no
# network namespaces, or missing packages that cannot be installed (scripts/ensure-system-deps.sh
# installs them as root with apt). With PARLEY_COMPOSE_REPORT=FILE it also writes its result
# as JSON for `npm test`'s summary. The first run builds the stand-in root filesystem with
# debootstrap from the Debian mirror this machine's apt already uses (scripts/debian-mirror.sh;
# DEBIAN_MIRROR overrides it) and caches it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DOMAIN=parley.test
PUBLIC_IP=203.0.113.10
PROJECT=parley-compose-smoke
APP_IMAGE=parley:compose-smoke
CACHE=${PARLEY_COMPOSE_CACHE:-/var/cache/parley-compose-test}
# The report for `npm test`'s summary (scripts/summarise-tests.mjs), when asked for.
REPORT=${PARLEY_COMPOSE_REPORT:-}
# Bump when the stand-in package list changes, so a stale cached root filesystem is not reused.
ROOTFS_TAR=$CACHE/standin-rootfs-bookworm-v2.tar

# --- Output and timing -------------------------------------------------------------------------
checks=0
timings=()
phase_started=$(date +%s%N)
run_started=$phase_started

say() { printf '[test:compose] %s\n' "$*"; }
# Writes the JSON report: checks passed, whether it failed and why, or why it was skipped.
report() {
  [ -n "$REPORT" ] || return 0
  node -e 'const [file, passed, failed, skipped, failure] = process.argv.slice(1);
    require("node:fs").writeFileSync(file, JSON.stringify({ passed: Number(passed),
      failed: Number(failed), skipped: skipped || undefined, failure: failure || undefined }) + "\n");' \
    "$REPORT" "$1" "$2" "${3:-}" "${4:-}"
}
failure=
skipped=
skip() {
  say "skipped: $*"
  skipped=$*
  report 0 0 "$*"
  exit 0
}
fail() {
  say "FAILED: $*" >&2
  failure=$*
  exit 1
}
ok() {
  checks=$((checks + 1))
  say "ok $checks - $*"
}
# Records how long the phase that just ended took.
phase() {
  local now ms
  now=$(date +%s%N)
  ms=$(((now - phase_started) / 1000000))
  timings+=("$(printf '%-44s %4d.%d s' "$1" $((ms / 1000)) $(((ms % 1000) / 100)))")
  phase_started=$now
}
print_timings() {
  local ms=$((($(date +%s%N) - run_started) / 1000000))
  say "timings:"
  local line
  for line in "${timings[@]}"; do say "  $line"; done
  say "  $(printf '%-44s %4d.%d s' total $((ms / 1000)) $(((ms % 1000) / 100)))"
}

# --- Where it can run ----------------------------------------------------------------------------
[ "$(uname -s)" = Linux ] || skip "needs Linux (network namespaces and a private Docker engine)"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, dockerd); run: sudo npm run test:compose"
[ -x node_modules/.bin/tsx ] || fail "run npm ci first"

# The packages it needs are installed by scripts/ensure-system-deps.sh (as root, with apt).
PARLEY_DEPS_FOR=compose bash scripts/ensure-system-deps.sh >&2 ||
  skip "missing system packages that could not be installed (see above)"
# The client from the same package as dockerd: it builds with the engine's own BuildKit.
DOCKER=docker
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker

# --- Teardown, on every exit -----------------------------------------------------------------------
TMP=$(mktemp -d /tmp/parley-compose-smoke.XXXXXX)
NS=parley-compose-$$
ns_created=0
netns_etc=0
containerd_pid=
dockerd_pid=
peer_pid=
# Processes and network namespaces made by the checks in scripts/compose/, removed here too.
extra_pids=()
extra_netns=()
compose_up=0
export DOCKER_HOST=unix://$TMP/docker.sock

COMPOSE=(docker-compose --project-name "$PROJECT" --env-file "$TMP/test.env" -f "$ROOT/docker-compose.yml")
compose() { "${COMPOSE[@]}" "$@"; }

# SIGTERM, up to $2 seconds' grace, then SIGKILL; returns once the process is gone.
stop_pid() {
  local pid=$1 grace=${2:-10} i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

teardown() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  if [ $status -ne 0 ] && [ $compose_up -eq 1 ]; then
    say "last logs:"
    compose logs --no-color --tail=40 2>&1 | sed 's/^/    /' | tail -120
  fi
  phase "$([ $status -eq 0 ] && echo 'last check' || echo 'until the failure')"
  if [ $compose_up -eq 1 ]; then
    timeout 60 "${COMPOSE[@]}" down --volumes --timeout 5 >/dev/null 2>&1
    phase "docker-compose down"
  fi
  stop_pid "$peer_pid" 2
  for pid in ${extra_pids[@]+"${extra_pids[@]}"}; do stop_pid "$pid" 5; done
  stop_pid "$dockerd_pid" 20
  phase "dockerd stop"
  stop_pid "$containerd_pid" 10
  phase "containerd stop"
  # Anything dockerd left mounted under the temp dir (e.g. its netns bind mount), deepest first.
  awk -v prefix="$TMP/" 'index($2, prefix) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mountpoint; do umount -l "$mountpoint"; done
  for netns in ${extra_netns[@]+"${extra_netns[@]}"}; do ip netns delete "$netns"; done
  [ $ns_created -eq 1 ] && ip netns delete "$NS"
  [ $netns_etc -eq 1 ] && rm -rf "/etc/netns/$NS"
  rm -rf "$TMP"
  phase "namespace and temp files removed"
  print_timings
  if [ -n "$skipped" ]; then
    : # reported by skip()
  elif [ $status -eq 0 ]; then
    say "passed: $checks checks"
    report "$checks" 0
  else
    say "failed (exit $status)"
    report "$checks" 1 "" "${failure:-exit $status}"
  fi
  exit $status
}
trap teardown EXIT
trap 'exit 130' INT TERM

# --- Stand-in root filesystem (cached) -------------------------------------------------------------
if [ ! -f "$ROOTFS_TAR" ]; then
  say "first run: building the stand-in root filesystem with debootstrap (minutes; cached in $CACHE)"
  mkdir -p "$CACHE"
  rootfs=$TMP/rootfs
  # The mirror this machine's apt already uses; no mirror is named in the repository.
  mirror=${DEBIAN_MIRROR:-$(bash scripts/debian-mirror.sh bookworm)} ||
    skip "no Debian mirror to build the stand-in images from: set DEBIAN_MIRROR"
  debootstrap --variant=minbase --include=coturn,caddy,redis-server,ca-certificates bookworm "$rootfs" "$mirror" \
    >"$TMP/debootstrap.log" 2>&1 || { tail -20 "$TMP/debootstrap.log"; fail "debootstrap"; }
  tar -C "$rootfs" -cf "$ROOTFS_TAR.partial" .
  mv "$ROOTFS_TAR.partial" "$ROOTFS_TAR"
  rm -rf "$rootfs"
fi
phase "stand-in root filesystem"

# --- The app, built as the Dockerfile's build stage builds it -----------------------------------
# The engine's namespace cannot reach npm, so the build stage's steps run here instead, in a
# scratch copy of exactly the files it COPYs (keep the two in step), and the /app tree they
# make goes to the Dockerfile's `prebuilt` stage. The repository's own dist/ is left alone.
build=$TMP/build
mkdir -p "$build"
tar -c --exclude=node_modules --exclude=dist package.json package-lock.json .npmrc \
  tsconfig.base.json packages/protocol apps/signaling apps/web | tar -C "$build" -x
# `npm ci` of the full tree, cached per lockfile and hard-linked in (the registry is slow to
# ask 200 times); what follows runs exactly as in the Dockerfile.
full_deps=$CACHE/build-deps-$(sha256sum package-lock.json | cut -c1-16)
if [ ! -d "$full_deps/node_modules" ]; then
  (cd "$build" && npm ci --no-audit --no-fund --prefer-offline --silent) || fail "npm ci"
  mkdir -p "$full_deps.partial"
  cp -a "$build/node_modules" "$full_deps.partial/"
  rm -rf "$full_deps" && mv "$full_deps.partial" "$full_deps"
else
  cp -al "$full_deps/node_modules" "$build/"
fi
(
  cd "$build"
  npm run build --silent
  npm ci --omit=dev --omit=optional --workspace @parley/signaling --no-audit --no-fund \
    --prefer-offline --silent
  mkdir -p app/apps/signaling app/apps/web
  cp -r node_modules app/
  rm -rf app/node_modules/@parley app/node_modules/.package-lock.json
  cp -r apps/signaling/package.json apps/signaling/dist app/apps/signaling/
  # A dependency whose version differs from one the dev tools hoisted stays nested here.
  if [ -d apps/signaling/node_modules ]; then cp -r apps/signaling/node_modules app/apps/signaling/; fi
  cp -r apps/web/dist app/apps/web/
) >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log"; fail "the build stage's steps"; }
context=$build/app
phase "build stage steps, on the host"

# --- A network namespace with its own containerd and dockerd ------------------------------------
ip netns add "$NS" 2>/dev/null || skip "cannot create network namespaces here (ip netns add failed)"
ns_created=1
ip -n "$NS" link set lo up
# A veth pair inside the namespace: an interface to carry the "public" address.
ip -n "$NS" link add pub0 type veth peer name pub1
ip -n "$NS" addr add "$PUBLIC_IP/24" dev pub0
ip -n "$NS" link set pub0 up
ip -n "$NS" link set pub1 up

# Its own containerd, always: a dockerd would otherwise pick up a system containerd, whose
# containers (coturn on the "host" network above all) would live outside this namespace.
mkdir -p "$TMP/containerd" "$TMP/data" "$TMP/exec"
printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' >"$TMP/containerd.toml"
nsenter --net="/run/netns/$NS" containerd --config "$TMP/containerd.toml" \
  --address "$TMP/containerd.sock" --root "$TMP/containerd/root" --state "$TMP/containerd/state" \
  >"$TMP/containerd.log" 2>&1 &
containerd_pid=$!
for ((i = 0; i < 100; i++)); do [ -S "$TMP/containerd.sock" ] && break; sleep 0.1; done
[ -S "$TMP/containerd.sock" ] || fail "containerd did not start: $(tail -5 "$TMP/containerd.log")"

# --ip6tables (experimental in Docker 20.10, the default from 27): published ports of a network
# with IPv6 keep an IPv6 client's address (scripts/compose/ipv6-client-address.sh).
nsenter --net="/run/netns/$NS" dockerd --containerd "$TMP/containerd.sock" \
  --data-root "$TMP/data" --exec-root "$TMP/exec" --pidfile "$TMP/dockerd.pid" \
  -H "$DOCKER_HOST" --default-ulimit nofile=4096:4096 --experimental --ip6tables \
  >"$TMP/dockerd.log" 2>&1 &
dockerd_pid=$!
for ((i = 0; i < 300; i++)); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.1; done
$DOCKER info >/dev/null 2>&1 || fail "dockerd did not start: $(tail -5 "$TMP/dockerd.log")"
phase "namespace, containerd, dockerd"

# --- Images: stand-ins for node, coturn and caddy, then the app's real Dockerfile ----------------
export DOCKER_BUILDKIT=1
$DOCKER import "$ROOTFS_TAR" parley-standin/base >/dev/null
standin() {
  mkdir -p "$TMP/standin-$1"
  cat >"$TMP/standin-$1/Dockerfile"
  [ "$1" = node ] && cp "$(command -v node)" "$TMP/standin-node/node"
  [ "$1" = coturn ] && cp "$(command -v setcap)" "$TMP/standin-coturn/setcap"
  $DOCKER build -q -t "parley-standin/$1" "$TMP/standin-$1" >/dev/null
}
# As node:*-slim: node on the PATH and the unprivileged user `node`, uid 1000. The binary is the
# host's own Node (Debian bookworm's package is too old for the app).
standin node <<'EOF'
FROM parley-standin/base
COPY node /usr/local/bin/node
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node
EOF
# As coturn/coturn: turnserver as `nobody`, /etc/coturn and /var/lib/coturn, and the file
# capability the official image gives turnserver (CAP_NET_BIND_SERVICE=+ep), which decides
# whether it can start at all under the compose file's cap_drop (the host's setcap does it).
standin coturn <<'EOF'
FROM parley-standin/base
COPY setcap /tmp/setcap
RUN /tmp/setcap CAP_NET_BIND_SERVICE=+ep /usr/bin/turnserver && rm /tmp/setcap \
  && mkdir -p /etc/coturn /var/lib/coturn && chown nobody:nogroup /var/lib/coturn
USER nobody:nogroup
ENTRYPOINT ["turnserver"]
EOF
# As caddy:2: its data and config directories and its default command.
standin caddy <<'EOF'
FROM parley-standin/base
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
RUN mkdir -p /config/caddy /data/caddy /etc/caddy /srv
WORKDIR /srv
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
EOF
$DOCKER build -q -f "$ROOT/Dockerfile" --build-arg NODE_IMAGE=parley-standin/node \
  --build-arg APP_FILES=prebuilt -t "$APP_IMAGE" "$context" >/dev/null
phase "images (stand-ins + app)"

# --- docker compose up -d ------------------------------------------------------------------------
turn_secret=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
cat >"$TMP/test.env" <<EOF
DOMAIN=$DOMAIN
TURN_SECRET=$turn_secret
SIGNALING_SECRET=$(head -c 32 /dev/urandom | base64)
CADDY_TLS=internal
PARLEY_IMAGE=$APP_IMAGE
COTURN_IMAGE=parley-standin/coturn
CADDY_IMAGE=parley-standin/caddy
TURN_ALLOWED_PEER_IP=$PUBLIC_IP
EOF
compose_up=1
compose up -d --no-build >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; fail "docker-compose up"; }
phase "docker-compose up -d"

container() { compose ps -q "$1"; }
app=$(container app)
caddy=$(container caddy)
coturn=$(container coturn)

# --- Checks --------------------------------------------------------------------------------------
# Docker runs the first probe one interval (15 s) after the start.
for ((i = 0; i < 120; i++)); do
  health=$($DOCKER inspect -f '{{.State.Health.Status}}' "$app")
  [ "$health" = healthy ] && break
  [ "$health" = unhealthy ] && fail "the app container is unhealthy"
  sleep 0.5
done
[ "$health" = healthy ] || fail "the app container was not healthy within 60 s ($health)"
ok "the app container turns healthy (the Dockerfile's HEALTHCHECK on /healthz)"
phase "app healthy"

app_uid=$($DOCKER exec "$app" node -e 'process.stdout.write(String(process.getuid()))')
[ "$app_uid" = 1000 ] || fail "the app runs as uid $app_uid"
ok "the app runs as the unprivileged user node (uid 1000)"

# Caddy makes its local CA at start; its root certificate lets curl verify the chain for real.
for ((i = 0; i < 300; i++)); do
  $DOCKER cp "$caddy:/data/caddy/pki/authorities/local/root.crt" "$TMP/caddy-root.crt" 2>/dev/null && break
  sleep 0.2
done
[ -s "$TMP/caddy-root.crt" ] || fail "Caddy made no local CA"
in_ns() { ip netns exec "$NS" "$@"; }
https() {
  in_ns curl -sS --max-time 10 --cacert "$TMP/caddy-root.crt" --resolve "$DOMAIN:443:$PUBLIC_IP" "$@"
}
for ((i = 0; i < 150; i++)); do
  https -o /dev/null "https://$DOMAIN/healthz" 2>/dev/null && break
  sleep 0.2
done
body=$(https "https://$DOMAIN/healthz") || fail "https://$DOMAIN/healthz did not answer over verified TLS"
# The release the image was built from is reported, so an admin can tell what runs.
release=$(node -p 'require("./apps/signaling/package.json").version')
[[ "$body" == "{\"status\":\"ok\",\"version\":\"$release\","* ]] || fail "healthz answered $body"
ok "https://$DOMAIN/healthz answers through Caddy over TLS that verifies"
phase "HTTPS through Caddy"

headers=$(https -D - -o "$TMP/index.html" "https://$DOMAIN/")
grep -qi '^content-security-policy: default-src' <<<"$headers" || fail "no CSP from the app on /: $headers"
grep -qi '^strict-transport-security: max-age=' <<<"$headers" || fail "no HSTS from Caddy on /"
grep -qi '<div id="root"' "$TMP/index.html" || fail "/ did not serve the web app"
ok "/ serves the web app with the app's CSP and Caddy's HSTS"

redirect=$(in_ns curl -sS --max-time 10 --resolve "$DOMAIN:80:$PUBLIC_IP" -o /dev/null \
  -w '%{http_code} %{redirect_url}' "http://$DOMAIN/r/room")
[ "$redirect" = "308 https://$DOMAIN/r/room" ] || fail "http:// answered $redirect"
ok "http:// redirects to https://"

join_output=$(in_ns node_modules/.bin/tsx scripts/test-compose-join.ts "$DOMAIN" "$PUBLIC_IP" \
  "$TMP/caddy-root.crt") || fail "the WebSocket join through Caddy failed"
turn_username=$(sed -n 's/^TURN_USERNAME=//p' <<<"$join_output")
turn_credential=$(sed -n 's/^TURN_CREDENTIAL=//p' <<<"$join_output")
ok "wss://$DOMAIN/ws refuses a foreign Origin (403) and a join gets 'joined' with TURN credentials"
phase "WebSocket join"

# The SSE fallback must not be buffered by Caddy (flush_interval -1 on /signal/stream): a pong
# has to reach a stream that is still open.
sse_output=$(in_ns node_modules/.bin/tsx scripts/test-compose-sse.ts "$DOMAIN" "$PUBLIC_IP" \
  "$TMP/caddy-root.crt") || fail "the SSE session through Caddy failed"
ok "SSE through Caddy: a ping's pong reaches the open event stream ($(sed -n 's/^SSE_PONG_MS=//p' <<<"$sse_output") ms)"
phase "SSE session"

# coturn shares the namespace's network (network_mode: host), runs as nobody, and its command
# line carries no secret.
# The container's first process is docker's init (init: true); turnserver is its child.
coturn_pid=$(pgrep -P "$($DOCKER inspect -f '{{.State.Pid}}' "$coturn")" -x turnserver) ||
  fail "no turnserver process in the coturn container"
[ "$(readlink "/proc/$coturn_pid/ns/net")" = "$(readlink "/proc/$dockerd_pid/ns/net")" ] ||
  fail "coturn is not on the engine's host network"
coturn_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$coturn_pid/status")
[ "$coturn_uid" = 65534 ] || fail "coturn runs as uid $coturn_uid"
! grep -qF -e "$turn_secret" "/proc/$coturn_pid/cmdline" || fail "TURN_SECRET is on coturn's command line"
ok "coturn runs on the host network as nobody, with no secret on its command line"

for ((i = 0; i < 100; i++)); do
  in_ns ss -Hlnu "sport = :3478" | grep -q "$PUBLIC_IP:3478" && break
  sleep 0.1
done
# Not through in_ns: `ip netns exec` execs in place, so $! is turnutils_peer's own PID.
ip netns exec "$NS" turnutils_peer -L "$PUBLIC_IP" -p 3480 >"$TMP/peer.log" 2>&1 &
peer_pid=$!
uclient() {
  # -X: IPv4 relay; -c: no RTCP allocation; 10 messages to the peer and back. Extra flags first.
  local flags=()
  while [ "${1:-}" != "${1#-}" ]; do flags+=("$1") && shift; done
  in_ns timeout 30 turnutils_uclient -v -X -c "${flags[@]}" -p 3478 -u "$1" -w "$2" -e "$3" \
    -r 3480 -n 10 "$PUBLIC_IP" 2>&1
}
# -t: to coturn over TCP, as turn:DOMAIN:3478?transport=tcp (the relay leg stays UDP).
for transport in udp tcp; do
  flag=()
  [ $transport = tcp ] && flag=(-t)
  relay=$(uclient "${flag[@]}" "$turn_username" "$turn_credential" "$PUBLIC_IP") ||
    fail "coturn refused the minted credential over $transport: $(tail -5 <<<"$relay")"
  grep -q "Received relay addr: $PUBLIC_IP:" <<<"$relay" || fail "no relay address on $PUBLIC_IP"
  grep -q 'tot_send_msgs=10, tot_recv_msgs=10' <<<"$relay" || fail "the relay lost messages"
done
ok "coturn allocates with the minted credential, over UDP and TCP, and relays 10/10 messages to a peer and back"

wrong=$(uclient "$turn_username" "bm90LXRoZS1yaWdodC1wYXNzd29yZA==" "$PUBLIC_IP") &&
  fail "coturn accepted a wrong credential"
grep -q 'Cannot complete Allocation' <<<"$wrong" || fail "unexpected refusal: $(tail -3 <<<"$wrong")"
ok "coturn refuses a wrong credential"

for peer in 127.0.0.1 10.0.0.1 169.254.169.254; do
  denied=$(uclient "$turn_username" "$turn_credential" "$peer") && fail "coturn relayed to $peer"
  grep -q 'error 403 (Forbidden IP)' <<<"$denied" || fail "peer $peer: $(tail -3 <<<"$denied")"
done
ok "coturn refuses loopback, private and metadata peers (403)"

# IPv4-mapped IPv6 peers (issue 14): an IPv6 relay on ::1, then a permission for each mapped
# address. The compose stack's coturn must refuse them whatever its version (start-coturn.sh
# adds the deny line below 4.9). -s: permissions over CreatePermission, as a browser does.
for peer in ::ffff:127.0.0.1 ::ffff:169.254.169.254 ::ffff:10.0.0.1; do
  # uclient exits non-zero when the permission is refused, which is the outcome wanted here.
  mapped=$(in_ns timeout 30 turnutils_uclient -v -c -s -p 3478 -u "$turn_username" \
    -w "$turn_credential" -e "$peer" -r 9 -n 1 ::1 2>&1) || true
  grep -q 'IPv6. Received relay addr: ::1' <<<"$mapped" ||
    fail "no IPv6 relay on ::1 to test mapped peer $peer: $(tail -3 <<<"$mapped")"
  grep -q 'create permission error 403 (Forbidden IP)' <<<"$mapped" ||
    fail "coturn did not refuse mapped peer $peer: $(tail -3 <<<"$mapped")"
done
ok "coturn refuses IPv4-mapped IPv6 peers (::ffff:127.0.0.1, ::ffff:169.254.169.254, ::ffff:10.0.0.1: 403)"
phase "TURN checks"

# --- A real call through the stack -------------------------------------------------------------------
# Two Chromiums in the namespace open https://DOMAIN, join by link with "Relay only", and must
# see each other's video through the compose coturn (e2e/compose/call-through-stack.spec.ts).
# DOMAIN resolves to the public address inside the namespace only: `ip netns exec` mounts
# /etc/netns/NS/hosts over /etc/hosts for what it runs, Chromium's WebRTC TURN lookups included.
mkdir -p "/etc/netns/$NS"
netns_etc=1
printf '127.0.0.1 localhost\n%s %s\n' "$PUBLIC_IP" "$DOMAIN" >"/etc/netns/$NS/hosts"
# Chromium on Linux takes locally trusted roots from $HOME/.pki/nssdb: trust Caddy's CA there.
mkdir -p "$TMP/home/.pki/nssdb"
certutil -d "sql:$TMP/home/.pki/nssdb" -N --empty-password
certutil -d "sql:$TMP/home/.pki/nssdb" -A -n "Parley compose test (Caddy local CA)" -t C,, \
  -i "$TMP/caddy-root.crt"
call_reports=$ROOT/test-results/compose-call
rm -rf "$call_reports"
in_ns env PARLEY_COMPOSE_ORIGIN="https://$DOMAIN" PARLEY_COMPOSE_IP="$PUBLIC_IP" \
  PARLEY_COMPOSE_HOME="$TMP/home" PARLEY_COMPOSE_REPORTS="$call_reports" \
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 node_modules/.bin/playwright test \
  -c e2e/compose/playwright.config.ts >"$TMP/call.log" 2>&1 ||
  { tail -60 "$TMP/call.log"; fail "the browser call through the stack (traces: $call_reports)"; }
ok "two Chromiums join by link at https://$DOMAIN, relay-only, see each other's video through its coturn"
phase "browser call"

# SIGTERM reaches the server through init: true, and it exits cleanly well inside the grace.
stop_started=$(date +%s%N)
compose stop --timeout 10 app >/dev/null 2>&1
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
exit_code=$($DOCKER inspect -f '{{.State.ExitCode}}' "$app")
[ "$exit_code" = 0 ] || fail "the app exited with $exit_code on docker-compose stop"
ok "docker-compose stop: the app exits 0 on SIGTERM (in ${stop_ms} ms)"

# --- Beyond the happy path (issue 19), each in a file of its own --------------------------------
source scripts/compose/weak-secret.sh
source scripts/compose/behind-nginx.sh
source scripts/compose/lan-and-restarts.sh
source scripts/compose/ipv6-client-address.sh
# Last: it adds docker-compose.scale.yml to the main stack, on the IPv6 network left above.
source scripts/test-compose-scale.sh
