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
} >"$conf"

exec turnserver -c "$conf" "$@"
