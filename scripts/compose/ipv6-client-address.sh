# Part of scripts/test-compose.sh, sourced last (uses its helpers; brings the main stack up
# again, as the earlier checks left it down or changed): what address the app sees for an IPv6
# client of the default, IPv4-only compose network. docs/self-hosting.md ("IPv6") says it is the network's
# gateway, the same for every IPv6 client; this check keeps that statement true for the engine
# it runs on (should Docker start passing the real address, it fails and the docs need updating).
compose up -d --no-build >"$TMP/ipv6-up.log" 2>&1 ||
  { cat "$TMP/ipv6-up.log"; fail "docker-compose up (main stack, again)"; }
caddy=$(container caddy)
ipv6_client=2001:db8:ffff::10
ip -n "$NS" addr add "$ipv6_client/64" dev pub0 nodad || fail "could not give the namespace an IPv6 address"
for ((i = 0; i < 150; i++)); do
  [ "$(https -o /dev/null -w '%{http_code}' "https://$DOMAIN/healthz" 2>/dev/null)" = 200 ] && break
  sleep 0.2
done
# A WebSocket upgrade from a foreign Origin: refused, and the app logs the address it counted.
probe_origin=https://ipv6-probe.test
in_ns curl -sS --max-time 10 --cacert "$TMP/caddy-root.crt" --resolve "$DOMAIN:443:[$ipv6_client]" \
  -o /dev/null -H "Origin: $probe_origin" -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  "https://$DOMAIN/ws" || fail "no answer over IPv6 from https://[$ipv6_client]"
for ((i = 0; i < 50; i++)); do
  seen=$(compose logs --no-color app 2>&1 | grep -F "\"origin\":\"$probe_origin\"" |
    sed -n 's/.*"ip":"\([^"]*\)".*/\1/p' | tail -n 1) || true
  [ -n "$seen" ] && break
  sleep 0.2
done
# The gateway of the network Caddy is on (the compose project's default network).
gateway=$($DOCKER inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' "$caddy")
[ -n "$seen" ] || fail "the app logged no refused upgrade from $probe_origin"
[ "$seen" = "$gateway" ] ||
  fail "an IPv6 client reached the app as '$seen', not the network gateway $gateway: update docs/self-hosting.md (IPv6)"
ok "IPv6 client $ipv6_client reaches the app as the compose network's gateway $gateway (the documented loss)"
phase "IPv6 client address"
