#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt already uses for SUITE (default: bookworm), read
# from its own apt sources, so nothing in the repository names a mirror. Exits 1, with the
# reason on stderr, when the sources name no Debian mirror for that suite.
#
#   scripts/debian-mirror.sh [SUITE]
#
# Reads /etc/apt/sources.list, /etc/apt/sources.list.d/*.list (one-line format) and
# /etc/apt/sources.list.d/*.sources (deb822), under $APT_ROOT if set (the tests use that).
# Only binary ("deb") entries for exactly SUITE count: a -security or -updates archive is a
# different tree, and another release's mirror may not carry SUITE.
set -euo pipefail
suite=${1:-bookworm}
etc=${APT_ROOT:-}/etc/apt

one_line() {
  # deb [options] URI SUITE COMPONENTS...; the options block may hold spaces inside brackets.
  awk -v suite="$suite" '
    { sub(/#.*/, "") }
    $1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if ($(i + 1) == suite) { print $i; exit }
    }' "$1"
}

deb822() {
  # Stanzas are separated by blank lines; a stanza may list several types, URIs and suites.
  awk -v suite="$suite" '
    function flush() {
      if (is_deb && has_suite && enabled && uri != "") { print uri; found = 1; exit }
      is_deb = 0; has_suite = 0; enabled = 1; uri = ""
    }
    BEGIN { enabled = 1 }
    /^[[:space:]]*#/ { next }
    /^[[:space:]]*$/ { flush(); next }
    {
      key = tolower($1)
      if (key == "types:") { for (i = 2; i <= NF; i++) if ($i == "deb") is_deb = 1 }
      else if (key == "uris:") { uri = $2 }
      else if (key == "suites:") { for (i = 2; i <= NF; i++) if ($i == suite) has_suite = 1 }
      else if (key == "enabled:") { enabled = (tolower($2) != "no") }
    }
    END { if (!found) flush() }' "$1"
}

for file in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
  [ -f "$file" ] || continue
  mirror=$(one_line "$file")
  [ -n "$mirror" ] && { echo "${mirror%/}"; exit 0; }
done
for file in "$etc"/sources.list.d/*.sources; do
  [ -f "$file" ] || continue
  mirror=$(deb822 "$file")
  [ -n "$mirror" ] && { echo "${mirror%/}"; exit 0; }
done
echo "no Debian mirror for $suite in $etc/sources.list or $etc/sources.list.d/ (set DEBIAN_MIRROR)" >&2
exit 1
