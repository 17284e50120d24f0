# Part of scripts/test-compose.sh, sourced after its main checks (uses its helpers): the stack
# without its Caddy (docker-compose.proxy.yml), behind Debian's nginx running the example
# config infra/proxy/nginx.conf as shipped, but for the name and the certificate paths. A
# WebSocket join and an SSE stream go through it, as they do through Caddy.

# As docs/self-hosting.md says for an install that ran the bundled Caddy before.
compose rm -sf caddy >/dev/null 2>&1 || fail "docker-compose rm -sf caddy"
proxied=(docker-compose --project-name "$PROJECT" --env-file "$TMP/test.env"
  -f "$ROOT/docker-compose.yml" -f "$ROOT/docker-compose.proxy.yml")
"${proxied[@]}" up -d --no-build >"$TMP/proxied-up.log" 2>&1 ||
  { cat "$TMP/proxied-up.log"; fail "docker-compose up with docker-compose.proxy.yml"; }
[ -z "$("${proxied[@]}" ps -q caddy 2>/dev/null)" ] || fail "the bundled Caddy still runs with the override"
# The app is published on the engine's loopback only (the engine's namespace is this "host").
published=$($DOCKER port "$("${proxied[@]}" ps -q app)" 8080/tcp)
[ "$published" = 127.0.0.1:8080 ] || fail "the app is published on '$published', expected 127.0.0.1:8080"
ok "docker-compose.proxy.yml: no Caddy, the app published on 127.0.0.1:8080 only"

# A certificate for DOMAIN from a throwaway CA, where certbot's would be.
nginx_dir=$TMP/nginx
mkdir -p "$nginx_dir/tmp"
(
  cd "$nginx_dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=parley-compose-test-ca -keyout ca.key -out ca.crt \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$DOMAIN" \
    -keyout privkey.pem -out server.csr
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$DOMAIN" >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
    -extfile server.ext -out fullchain.pem
) >"$nginx_dir/openssl.log" 2>&1 || { cat "$nginx_dir/openssl.log"; fail "openssl (test certificate)"; }
sed -e "s/meet\.example\.org/$DOMAIN/g" \
  -e "s|/etc/letsencrypt/live/$DOMAIN/|$nginx_dir/|g" \
  "$ROOT/infra/proxy/nginx.conf" >"$nginx_dir/parley.conf"
# The main config Debian's /etc/nginx/nginx.conf would be, with every path in the temp dir.
# Workers run as root here only because the temp dir is private to root.
cat >"$nginx_dir/nginx.conf" <<NGINX
user root;
daemon off;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log;
events {}
http {
  access_log $nginx_dir/access.log;
  client_body_temp_path $nginx_dir/tmp/body;
  proxy_temp_path $nginx_dir/tmp/proxy;
  fastcgi_temp_path $nginx_dir/tmp/fastcgi;
  uwsgi_temp_path $nginx_dir/tmp/uwsgi;
  scgi_temp_path $nginx_dir/tmp/scgi;
  include $nginx_dir/parley.conf;
}
NGINX
in_ns nginx -t -q -p "$nginx_dir/" -e "$nginx_dir/error.log" -c "$nginx_dir/nginx.conf" ||
  fail "nginx -t refused infra/proxy/nginx.conf: $(tail -5 "$nginx_dir/error.log")"
# Not through in_ns: `ip netns exec` execs in place, so $! is nginx's own PID.
ip netns exec "$NS" nginx -p "$nginx_dir/" -e "$nginx_dir/error.log" -c "$nginx_dir/nginx.conf" &
extra_pids+=($!)
via_nginx() {
  in_ns curl -sS --max-time 10 --cacert "$nginx_dir/ca.crt" --resolve "$DOMAIN:443:$PUBLIC_IP" "$@"
}
for ((i = 0; i < 150; i++)); do
  [ "$(via_nginx -o /dev/null -w '%{http_code}' "https://$DOMAIN/healthz" 2>/dev/null)" = 200 ] && break
  sleep 0.2
done
nginx_headers=$(via_nginx -D - -o "$nginx_dir/index.html" "https://$DOMAIN/") ||
  fail "https://$DOMAIN/ did not answer through nginx: $(tail -5 "$nginx_dir/error.log")"
grep -qi '^content-security-policy: default-src' <<<"$nginx_headers" || fail "no CSP through nginx"
grep -qi '^strict-transport-security: max-age=' <<<"$nginx_headers" || fail "no HSTS from nginx"
grep -qi '<div id="root"' "$nginx_dir/index.html" || fail "/ did not serve the web app through nginx"
ok "nginx (infra/proxy/nginx.conf) serves https://$DOMAIN/ from the app, with the app's CSP and its own HSTS"

in_ns node_modules/.bin/tsx scripts/test-compose-join.ts "$DOMAIN" "$PUBLIC_IP" "$nginx_dir/ca.crt" \
  >/dev/null || fail "the WebSocket join through nginx failed"
ok "through nginx: wss://$DOMAIN/ws refuses a foreign Origin (403) and a join gets 'joined' with TURN credentials"
nginx_sse=$(in_ns node_modules/.bin/tsx scripts/test-compose-sse.ts "$DOMAIN" "$PUBLIC_IP" \
  "$nginx_dir/ca.crt") || fail "the SSE session through nginx failed"
ok "through nginx: a ping's pong reaches the open SSE stream, unbuffered ($(sed -n 's/^SSE_PONG_MS=//p' <<<"$nginx_sse") ms)"

phase "behind nginx"
# nginx holds 443 on the public address; the next stack's Caddy needs it.
stop_pid "${extra_pids[-1]}" 5
