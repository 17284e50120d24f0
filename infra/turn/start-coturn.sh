#!/bin/sh
# Starts coturn on infra/turn/turnserver.conf plus the settings that live in the environment.
#
# coturn reads one config file and never the environment, and a secret passed as a command-line
# option would be visible to every local user in `ps` (a container's processes show in the
# host's process list). So the full config is written to /var/lib/coturn (a tmpfs in
# docker-compose.yml), readable only by coturn's user, and coturn is started on it. Extra
# arguments are passed on to turnserver.
#
# COTURN_CONFIG and COTURN_STATE_DIR move the two paths, for the tests in infra/compose.test.ts.
set -eu

base_config=${COTURN_CONFIG:-/etc/coturn/turnserver.conf}
state_dir=${COTURN_STATE_DIR:-/var/lib/coturn}

fail() {
  echo "start-coturn: $*" >&2
  exit 2
}

: "${TURN_SECRET:?set TURN_SECRET (the secret shared with the signalling server)}"
: "${TURN_REALM:?set TURN_REALM (docker-compose.yml sets it to DOMAIN)}"

# The secret goes into a key=value line: keep it to characters that cannot end or comment it.
case "$TURN_SECRET" in
  *[!A-Za-z0-9+/=_.~-]*) fail "TURN_SECRET may only contain letters, digits and + / = _ . ~ - (generate one with: openssl rand -hex 32)" ;;
esac
[ "${#TURN_SECRET}" -ge 16 ] || fail "TURN_SECRET must be at least 16 characters"
case "$TURN_REALM" in
  *[!A-Za-z0-9.-]*) fail "TURN_REALM must be a host name, got '$TURN_REALM'" ;;
esac

# Prints one "<option>=<value>" line per comma-separated address in $2.
address_lines() {
  option=$1
  list=$2
  case "$list" in
    *[!0-9A-Fa-f.:/,-]*) fail "$option: '$list' is not a comma-separated list of IP addresses" ;;
  esac
  old_ifs=$IFS
  IFS=,
  for address in $list; do
    if [ -n "$address" ]; then printf '%s=%s\n' "$option" "$address"; fi
  done
  IFS=$old_ifs
}

# coturn below 4.9 relays to IPv4-mapped IPv6 peers (::ffff:127.0.0.1, ::ffff:169.254.169.254)
# despite the IPv4 deny lines (CVE-2026-27624); the workaround is to deny the whole mapped range.
# From 4.9 on coturn checks the IPv4 address inside, and the line is left out there because
# this script cannot test how a newer coturn treats it. A version it cannot read gets the line
# (safe side) and a warning.
turnserver_bin=${TURNSERVER:-turnserver}
coturn_version=$("$turnserver_bin" --version 2>/dev/null | sed -n 's/^[^0-9]*\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1)
mapped_deny_line() {
  major=${coturn_version%%.*}
  minor=${coturn_version#*.}
  if [ -z "$coturn_version" ]; then
    echo "start-coturn: could not read the coturn version; denying IPv4-mapped IPv6 peers" >&2
  elif [ "$major" -gt 4 ] || { [ "$major" -eq 4 ] && [ "$minor" -ge 9 ]; }; then
    return 0
  fi
  echo "# coturn ${coturn_version:-unknown} < 4.9: IPv4-mapped IPv6 peers (CVE-2026-27624)"
  echo 'denied-peer-ip=::ffff:0.0.0.0-::ffff:255.255.255.255'
}

conf=$state_dir/turnserver.conf
umask 077
{
  cat "$base_config"
  echo
  echo '# --- Added by start-coturn.sh from the environment ---'
  printf 'static-auth-secret=%s\n' "$TURN_SECRET"
  printf 'realm=%s\n' "$TURN_REALM"
  address_lines external-ip "${TURN_EXTERNAL_IP:-}"
  address_lines relay-ip "${TURN_RELAY_IP:-}"
  address_lines listening-ip "${TURN_LISTENING_IP:-}"
  address_lines allowed-peer-ip "${TURN_ALLOWED_PEER_IP:-}"
  mapped_deny_line
} >"$conf"

exec "$turnserver_bin" -c "$conf" "$@"
