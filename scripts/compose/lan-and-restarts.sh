# Part of scripts/test-compose.sh, sourced after its main checks (uses its helpers):
# - LAN mode without a domain: DOMAIN is the server's IP address and CADDY_TLS=internal. The
#   root certificate is exported with the command docs/self-hosting.md gives, and a client
#   trusting it joins over verified HTTPS.
# - Config-change restarts: through scripts/compose.sh, an edited turnserver.conf makes `up -d`
#   recreate coturn only, an edited Caddyfile Caddy only, and an unchanged tree nothing.
# The stack runs from a copy of the deployment files (docker-compose.yml, infra/, the wrapper),
# so the test edits the copy, never the repository.

# The main stack holds ports 80, 443 and 3478.
compose down --timeout 5 >/dev/null 2>&1 || fail "docker-compose down (main stack)"
lan_dir=$TMP/lan
mkdir -p "$lan_dir/scripts"
cp "$ROOT/docker-compose.yml" "$lan_dir/"
cp -r "$ROOT/infra" "$lan_dir/"
cp "$ROOT/scripts/compose.sh" "$lan_dir/scripts/"
sed -e "s/^DOMAIN=.*/DOMAIN=$PUBLIC_IP/" -e '/^TURN_ALLOWED_PEER_IP=/d' "$TMP/test.env" >"$lan_dir/.env"
lan() { (cd "$lan_dir" && COMPOSE=docker-compose scripts/compose.sh --project-name parley-compose-lan "$@"); }
lan up -d --no-build >"$TMP/lan-up.log" 2>&1 || { cat "$TMP/lan-up.log"; fail "docker-compose up (LAN)"; }

# The export command from docs/self-hosting.md ("LAN without a domain").
for ((i = 0; i < 150; i++)); do
  lan exec -T caddy cat /data/caddy/pki/authorities/local/root.crt >"$lan_dir/root.crt" 2>/dev/null &&
    [ -s "$lan_dir/root.crt" ] && break
  sleep 0.2
done
[ -s "$lan_dir/root.crt" ] || fail "no root certificate at /data/caddy/pki/authorities/local/root.crt"
lan_https() { in_ns curl -sS --max-time 10 --cacert "$lan_dir/root.crt" "$@"; }
for ((i = 0; i < 150; i++)); do
  [ "$(lan_https -o /dev/null -w '%{http_code}' "https://$PUBLIC_IP/healthz" 2>/dev/null)" = 200 ] && break
  sleep 0.2
done
lan_body=$(lan_https "https://$PUBLIC_IP/healthz") ||
  fail "https://$PUBLIC_IP/healthz did not answer over TLS verified with Caddy's exported root"
[[ "$lan_body" == '{"status":"ok",'* ]] || fail "LAN healthz answered $lan_body"
ok "LAN: DOMAIN=$PUBLIC_IP, CADDY_TLS=internal: https://$PUBLIC_IP verifies against the exported root.crt"
in_ns node_modules/.bin/tsx scripts/test-compose-join.ts "$PUBLIC_IP" "$PUBLIC_IP" "$lan_dir/root.crt" \
  >/dev/null || fail "the WebSocket join at wss://$PUBLIC_IP/ws failed"
ok "LAN: wss://$PUBLIC_IP/ws refuses a foreign Origin and a join gets TURN credentials for turn:$PUBLIC_IP:3478"
phase "LAN mode on an IP address"

# The running container of a LAN service, by compose's labels: docker-compose itself takes a
# second or more per call, and these are called often.
lan_container() {
  $DOCKER ps -q --filter label=com.docker.compose.project=parley-compose-lan \
    --filter "label=com.docker.compose.service=$1"
}
# "<service>=<ID>@<start time>" of each running container of the LAN project.
lan_state() {
  # shellcheck disable=SC2046 # one argument per container ID
  $DOCKER inspect -f '{{index .Config.Labels "com.docker.compose.service"}}={{.Id}}@{{.State.StartedAt}}' \
    $($DOCKER ps -q --filter label=com.docker.compose.project=parley-compose-lan) | sort | tr '\n' ' '
}
# Which services got a new container (or a new start) between two lan_state snapshots.
changed_services() {
  local before=$1 after=$2 service changed=()
  for service in app caddy coturn; do
    [ "$(grep -o "$service=[^ ]*" <<<"$before")" = "$(grep -o "$service=[^ ]*" <<<"$after")" ] ||
      changed+=("$service")
  done
  echo "${changed[*]:-none}"
}
lan_up_again() {
  lan up -d --no-build >"$TMP/lan-up-again.log" 2>&1 || { cat "$TMP/lan-up-again.log"; fail "$1"; }
}
for service in caddy coturn; do
  label=$($DOCKER inspect -f '{{index .Config.Labels "org.parley.config-sha"}}' "$(lan_container $service)")
  [[ "$label" =~ ^[0-9a-f]{16}$ ]] || fail "$service has no config checksum label from scripts/compose.sh ('$label')"
done
state0=$(lan_state)
lan_up_again "up -d with nothing changed"
[ "$(changed_services "$state0" "$(lan_state)")" = none ] ||
  fail "up -d with nothing changed restarted: $(changed_services "$state0" "$(lan_state)")"
ok "restarts: scripts/compose.sh up -d with nothing changed restarts nothing"

sed -i 's/^max-bps=.*/max-bps=400000/' "$lan_dir/infra/turn/turnserver.conf"
lan_up_again "up -d after editing turnserver.conf"
state1=$(lan_state)
[ "$(changed_services "$state0" "$state1")" = coturn ] ||
  fail "editing turnserver.conf restarted: $(changed_services "$state0" "$state1") (expected coturn only)"
for ((i = 0; i < 50; i++)); do
  $DOCKER exec "$(lan_container coturn)" grep -qx 'max-bps=400000' /var/lib/coturn/turnserver.conf 2>/dev/null && break
  sleep 0.2
done
$DOCKER exec "$(lan_container coturn)" grep -qx 'max-bps=400000' /var/lib/coturn/turnserver.conf ||
  fail "the new coturn does not run the edited config"
ok "restarts: an edited turnserver.conf, then up -d: coturn restarts on the new config; app and Caddy keep running"

# A header Caddy adds from now on: the new Caddy must be running the edited file.
sed -i 's/^\t\t-Server$/&\n\t\tX-Compose-Test "edited Caddyfile"/' "$lan_dir/infra/caddy/Caddyfile"
grep -q 'X-Compose-Test' "$lan_dir/infra/caddy/Caddyfile" || fail "could not edit the Caddyfile copy"
lan_up_again "up -d after editing the Caddyfile"
[ "$(changed_services "$state1" "$(lan_state)")" = caddy ] ||
  fail "editing the Caddyfile restarted: $(changed_services "$state1" "$(lan_state)") (expected caddy only)"
for ((i = 0; i < 150; i++)); do
  edited_headers=$(lan_https -D - -o /dev/null "https://$PUBLIC_IP/healthz" 2>/dev/null) || true
  grep -qi '^x-compose-test: edited Caddyfile' <<<"$edited_headers" && break
  sleep 0.2
done
grep -qi '^x-compose-test: edited Caddyfile' <<<"$edited_headers" ||
  fail "the new Caddy does not serve the edited Caddyfile: $edited_headers"
ok "restarts: an edited Caddyfile, then up -d: Caddy restarts on the new config; app and coturn keep running"
lan down --volumes --timeout 5 >/dev/null 2>&1
phase "config-change restarts"
