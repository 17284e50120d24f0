# Part of scripts/test-compose.sh, sourced after its main checks (uses its helpers; brings the
# main stack up itself, as the earlier checks left it changed): which address the app sees for
# an IPv6 client, as docs/self-hosting.md ("IPv6") states it.
#
# The client lives in a network namespace of its own, linked to the engine's namespace by a veth
# pair, so its packets arrive on an interface as a remote client's would (2001:db8:ffff::10 to
# the server's 2001:db8:ffff::1; documentation prefix). It sends a WebSocket upgrade from a
# foreign Origin through Caddy; the app refuses it and logs the address it counted.
#
# - The default compose network (IPv4 only): the client reaches Caddy through Docker's userland
#   proxy and the app sees the network's gateway, the same for every IPv6 client.
# - With docker-compose.ipv6.yml: the network has IPv6, Docker publishes 443 with ip6tables
#   NAT (the engine runs with --ip6tables, the default from Docker 27), and the app sees the
#   client's own address.

ipv6_client=2001:db8:ffff::10
ipv6_server=2001:db8:ffff::1
client_ns=$NS-v6client
ip netns add "$client_ns" || fail "could not create the IPv6 client's namespace"
extra_netns+=("$client_ns")
ip -n "$client_ns" link set lo up
ip -n "$NS" link add v6srv type veth peer name v6cli netns "$client_ns"
ip -n "$NS" addr add "$ipv6_server/64" dev v6srv nodad
ip -n "$client_ns" addr add "$ipv6_client/64" dev v6cli nodad
ip -n "$NS" link set v6srv up
ip -n "$client_ns" link set v6cli up
# What Docker's NAT forwards to a container arrives on v6srv: the engine's namespace routes it.
ip netns exec "$NS" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/forwarding'

# The address the app logged for one refused upgrade from the IPv6 client ($1 tells them apart).
ipv6_seen_by_app() {
  local probe_origin=https://$1.ipv6-probe.test seen= i
  ip netns exec "$client_ns" curl -sS --http1.1 --max-time 10 --cacert "$TMP/caddy-root.crt" \
    --resolve "$DOMAIN:443:[$ipv6_server]" -o /dev/null -H "Origin: $probe_origin" \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "https://$DOMAIN/ws" ||
    fail "no answer over IPv6 at https://[$ipv6_server] from $ipv6_client"
  for ((i = 0; i < 50; i++)); do
    seen=$(compose logs --no-color app 2>&1 | grep -F "\"origin\":\"$probe_origin\"" |
      sed -n 's/.*"ip":"\([^"]*\)".*/\1/p' | tail -n 1) || true
    [ -n "$seen" ] && break
    sleep 0.2
  done
  [ -n "$seen" ] || fail "the app logged no refused upgrade from $probe_origin"
  echo "$seen"
}
ipv6_stack_up() {
  compose up -d --no-build >"$TMP/ipv6-up.log" 2>&1 || { cat "$TMP/ipv6-up.log"; fail "$1"; }
  for ((i = 0; i < 150; i++)); do
    [ "$(https -o /dev/null -w '%{http_code}' "https://$DOMAIN/healthz" 2>/dev/null)" = 200 ] && break
    sleep 0.2
  done
}

# The default network: the documented loss.
ipv6_stack_up "docker-compose up (main stack, again)"
seen=$(ipv6_seen_by_app default) || exit 1
gateway=$($DOCKER inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' "$(container caddy)")
[ "$seen" = "$gateway" ] ||
  fail "on the default network an IPv6 client reached the app as '$seen', not the gateway $gateway: update docs/self-hosting.md (IPv6)"
ok "IPv6, default compose network: client $ipv6_client reaches the app as the network's gateway $gateway (the documented loss)"

# docker-compose.ipv6.yml: a network's IPv6 setting changes only when it is made again.
compose down --timeout 5 >/dev/null 2>&1 || fail "docker-compose down (before the IPv6 network)"
COMPOSE+=(-f "$ROOT/docker-compose.ipv6.yml")
ipv6_stack_up "docker-compose up with docker-compose.ipv6.yml"
caddy_ipv6=$($DOCKER inspect -f '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}{{end}}' "$(container caddy)")
[ -n "$caddy_ipv6" ] || fail "Caddy has no IPv6 address on the docker-compose.ipv6.yml network"
seen=$(ipv6_seen_by_app ipv6-network) || exit 1
[ "$seen" = "$ipv6_client" ] ||
  fail "with docker-compose.ipv6.yml an IPv6 client reached the app as '$seen', not as $ipv6_client"
ok "IPv6, docker-compose.ipv6.yml: client $ipv6_client reaches the app as itself (Caddy at $caddy_ipv6)"
phase "IPv6 client address"
