# Sourced by scripts/test-compose.sh after its own checks (it uses that script's functions,
# namespace, engine and teardown): the scaled stack of docker-compose.scale.yml.
#
# - A Redis stand-in image, built like the other stand-ins from the Debian root filesystem
#   (Debian's redis-server package), swapped in through REDIS_IMAGE.
# - docker-compose.yml + docker-compose.scale.yml up: Redis, three app replicas sharing rooms
#   through it, Caddy load-balancing them (least_conn, no sticky sessions, health checks on
#   /readyz). The teardown's `down` covers the override's services too.
# - Two WebSocket clients through Caddy land on different replicas (each replica's /metrics,
#   read on its compose-network address: whose parley_participants rose) and relay signals to
#   each other across them (scripts/test-compose-scale.ts).

# As redis:7: redis-server as the unprivileged user `redis`, working directory /data. The
# official image's Redis is built with protected mode off (a compose network is its only way
# in); Debian's is not, so the entrypoint turns it off the same way for `redis-server` commands.
mkdir -p "$TMP/standin-redis"
cat >"$TMP/standin-redis/entrypoint.sh" <<'EOF'
#!/bin/sh
if [ "$1" = redis-server ]; then
  shift
  exec redis-server --protected-mode no "$@"
fi
exec "$@"
EOF
standin redis <<'EOF'
FROM parley-standin/base
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
EOF
phase "scaled stack: Redis stand-in image"

# Metrics on each replica's compose-network address, where a Prometheus in that network would
# scrape them (.env.example, METRICS_HOST); Caddy never serves them.
cat >>"$TMP/test.env" <<EOF
REDIS_IMAGE=parley-standin/redis
METRICS_PORT=9100
METRICS_HOST=0.0.0.0
EOF
COMPOSE+=(-f "$ROOT/docker-compose.scale.yml")
scaled_services=(app app2 app3)
# The replicas first, and Caddy only once all three are ready: Caddy's first active health
# check runs as it starts, and a replica it found unready then would get no client until the
# next check, 2 s later (the two clients below could then share the one replica left).
compose up -d --no-build redis "${scaled_services[@]}" >"$TMP/up-scale.log" 2>&1 ||
  { cat "$TMP/up-scale.log"; fail "docker-compose up (scaled: Redis and the replicas)"; }
phase "scaled stack: docker-compose up -d (Redis, replicas)"

replica_args=()
for service in "${scaled_services[@]}"; do
  id=$(container "$service")
  [ -n "$id" ] || fail "no container for $service in the scaled stack"
  # Its address in the compose network, which the engine's namespace reaches directly.
  address=$($DOCKER inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$id")
  replica_args+=("$service=$address")
  # Ready means listening and Redis answered its lease (/readyz 200).
  for ((i = 0; i < 300; i++)); do
    in_ns curl -sf --max-time 2 -o /dev/null "http://$address:8080/readyz" && break
    sleep 0.2
  done
  in_ns curl -sSf --max-time 2 -o /dev/null "http://$address:8080/readyz" ||
    fail "$service never became ready (/readyz) with Redis"
done
redis_uid=$($DOCKER exec "$(container redis)" sh -c 'id -u')
[ "$redis_uid" != 0 ] || fail "redis runs as root"
ok "scaled stack: Redis (Debian's redis-server stand-in) and three app replicas ready (/readyz 200)"
phase "scaled stack: replicas ready"

compose up -d --no-build >>"$TMP/up-scale.log" 2>&1 ||
  { cat "$TMP/up-scale.log"; fail "docker-compose up (scaled: Caddy)"; }
phase "scaled stack: docker-compose up -d (Caddy)"

# Caddy was recreated with Caddyfile.scale; it keeps its CA (the caddy_data volume).
for ((i = 0; i < 150; i++)); do
  https -o /dev/null "https://$DOMAIN/readyz" 2>/dev/null && break
  sleep 0.2
done
scale_output=$(in_ns env METRICS_PORT=9100 node_modules/.bin/tsx scripts/test-compose-scale.ts \
  "$DOMAIN" "$PUBLIC_IP" "$TMP/caddy-root.crt" "${replica_args[@]}") ||
  fail "two clients through Caddy on different replicas"
first=$(sed -n 's/^FIRST=//p' <<<"$scale_output")
second=$(sed -n 's/^SECOND=//p' <<<"$scale_output")
ok "scaled stack: two WebSocket clients through Caddy land on $first and $second (per their /metrics) and relay signals both ways across them"
phase "scaled stack: two clients, two replicas"
