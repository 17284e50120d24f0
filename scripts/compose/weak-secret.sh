# Part of scripts/test-compose.sh, sourced after its main checks (uses its helpers and the main
# stack): a too-short SIGNALING_SECRET. Compose can only check that a variable is set, so
# `up -d` succeeds; the app must then refuse to start with the rule in its log, Docker keeps
# restarting it, and Caddy answers with a page that says where to look instead of a blank 502.
weak_env=$TMP/weak-secret.env
sed 's/^SIGNALING_SECRET=.*/SIGNALING_SECRET=y/' "$TMP/test.env" >"$weak_env"
weak_compose() {
  docker-compose --project-name "$PROJECT" --env-file "$weak_env" -f "$ROOT/docker-compose.yml" "$@"
}
weak_compose up -d --no-build app >"$TMP/weak-up.log" 2>&1 ||
  { cat "$TMP/weak-up.log"; fail "docker-compose up with a short SIGNALING_SECRET failed in compose"; }
weak_app=$(weak_compose ps -q app)

# Docker restarts a failing container with a growing back-off (0.1 s, 0.2 s, ...): two restarts
# come within seconds. The exit code is read while it waits to restart (a running container
# reports 0).
for ((i = 0; i < 100; i++)); do
  read -r restarts weak_status weak_exit <<<"$($DOCKER inspect \
    -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "$weak_app")"
  [ "$restarts" -ge 2 ] && [ "$weak_status" = restarting ] && break
  sleep 0.2
done
[ "$restarts" -ge 2 ] || fail "the app with SIGNALING_SECRET=y did not keep exiting (restarts: $restarts)"
[ "$weak_exit" = 2 ] || fail "the app with SIGNALING_SECRET=y exited with $weak_exit, expected 2 (a config error)"
weak_log=$(weak_compose logs --no-color app 2>&1)
# The rule as config.ts states it, and the length of what was given (never the value).
grep -q 'SIGNALING_SECRET: must be at least 24 characters; generate one: openssl rand -base64 32 (got 1 characters)' \
  <<<"$weak_log" || fail "the app's log does not state the secret rule: $(tail -5 <<<"$weak_log")"
ok "SIGNALING_SECRET=y: compose starts it, the app exits 2 at each start and its log states the rule and the length (never the value)"

weak_page=$(https -w '\n%{http_code}' "https://$DOMAIN/") || fail "Caddy did not answer while the app was down"
[ "$(tail -n 1 <<<"$weak_page")" = 502 ] || fail "Caddy answered $(tail -n 1 <<<"$weak_page") while the app was down"
grep -q 'docker compose logs app' <<<"$weak_page" || fail "Caddy's 502 does not say where to look: $weak_page"
ok "while the app is down, Caddy's 502 says where the reason is (docker compose logs app)"
phase "weak secret"
