#!/usr/bin/env sh
# For a server whose public IPv4 address changes (a home connection kept reachable by a dynamic
# DNS name): keeps TURN_EXTERNAL_IP in ./.env at the address DOMAIN resolves to, and restarts
# coturn when it changed. coturn reads its external address once, at start; with a stale one it
# hands out relay addresses nobody can reach. Run it from the directory holding .env, e.g. cron:
#
#   */5 * * * * cd /srv/parley && scripts/refresh-turn-ip.sh >>/var/log/parley-turn-ip.log 2>&1
#
# A `public/private` value keeps its private part; only the public address is replaced. After a
# change it runs `scripts/compose.sh up -d`, which recreates coturn alone (its environment
# changed); calls relayed through it reconnect within seconds.
#
# PARLEY_PUBLIC_IP_LOOKUP: a command that prints the public IPv4 address. The default asks this
# machine's resolver for DOMAIN (`getent ahostsv4 DOMAIN`); with split DNS it answers the LAN
# address, so ask your DDNS provider's name server instead, e.g.
# PARLEY_PUBLIC_IP_LOOKUP='dig +short A meet.example.org @<your provider's name server>'.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
env_file=.env

say() { echo "refresh-turn-ip: $*"; }
[ -f "$env_file" ] || { say "no .env in $(pwd); run it from the directory that holds it" >&2; exit 64; }
domain=$(sed -n 's/^DOMAIN=//p' "$env_file" | tail -n 1)
[ -n "$domain" ] || { say "DOMAIN is not set in .env" >&2; exit 64; }

lookup=${PARLEY_PUBLIC_IP_LOOKUP:-getent ahostsv4 $domain}
# The first IPv4 address in what the lookup printed.
public=$(sh -c "$lookup" 2>/dev/null | grep -oE '([0-9]{1,3}\.){3}[0-9]{1,3}' | head -n 1) || true
[ -n "$public" ] || { say "no IPv4 address from: $lookup" >&2; exit 1; }
case $public in
  10.* | 127.* | 169.254.* | 192.168.* | 172.1[6-9].* | 172.2[0-9].* | 172.3[01].* | \
    100.6[4-9].* | 100.[7-9][0-9].* | 100.1[01][0-9].* | 100.12[0-7].*)
    say "$domain resolves to $public, a private or carrier-grade NAT address: split DNS? Set PARLEY_PUBLIC_IP_LOOKUP (see the top of this script)" >&2
    exit 1
    ;;
esac

current=$(sed -n 's/^TURN_EXTERNAL_IP=//p' "$env_file" | tail -n 1)
case $current in
  */*) wanted=$public/${current#*/} ;;
  *) wanted=$public ;;
esac
if [ "$current" = "$wanted" ]; then
  exit 0
fi
if grep -q '^TURN_EXTERNAL_IP=' "$env_file"; then
  sed -i "s|^TURN_EXTERNAL_IP=.*|TURN_EXTERNAL_IP=$wanted|" "$env_file"
else
  printf 'TURN_EXTERNAL_IP=%s\n' "$wanted" >>"$env_file"
fi
say "TURN_EXTERNAL_IP ${current:-(unset)} -> $wanted; restarting coturn"
exec "$here/compose.sh" up -d
