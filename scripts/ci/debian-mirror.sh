#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt uses for the bookworm suite, read
# at run time from /etc/apt/sources.list, /etc/apt/sources.list.d/*.list
# (one-line format) and /etc/apt/sources.list.d/*.sources (deb822 `URIs:`), in
# the order apt reads them. The repository names no mirror: CI uses whatever
# the machine it runs on is configured with. Exit 1 if there is none.
# Usage: scripts/ci/debian-mirror.sh [SUITE]   (default bookworm)
set -euo pipefail
suite=${1:-bookworm}
etc=${SX_APT_ETC:-/etc/apt}

# One-line format: deb [options] URI SUITE COMPONENT...
oneline() {
  awk -v suite="$suite" '
    /^[ \t]*#/ { next }
    $1 == "deb" {
      i = 2
      if (substr($i, 1, 1) == "[") { while (i <= NF && substr($i, length($i), 1) != "]") i++; i++ }
      if ($(i + 1) == suite) { print $i; exit }
    }' "$1"
}

# deb822: stanzas separated by blank lines, continuation lines start with
# white space, field names are case-insensitive, Enabled: no disables one.
deb822() {
  awk -v suite="$suite" '
    function has(list, word,   n, a, k) {
      n = split(list, a, /[ \t]+/)
      for (k = 1; k <= n; k++) if (a[k] == word) return 1
      return 0
    }
    function flush(   n, a, k) {
      if (!done && has(types, "deb") && has(suites, suite) && enabled != "no") {
        n = split(uris, a, /[ \t]+/)
        for (k = 1; k <= n; k++) if (a[k] != "") { print a[k]; done = 1; break }
      }
      types = suites = uris = enabled = last = ""
    }
    /^#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]/ {
      if (last == "types") types = types " " $0
      else if (last == "suites") suites = suites " " $0
      else if (last == "uris") uris = uris " " $0
      next
    }
    {
      c = index($0, ":"); if (c == 0) next
      key = tolower(substr($0, 1, c - 1)); val = substr($0, c + 1)
      gsub(/^[ \t]+|[ \t]+$/, "", val); last = key
      if (key == "types") types = val
      else if (key == "suites") suites = val
      else if (key == "uris") uris = val
      else if (key == "enabled") enabled = tolower(val)
    }
    END { flush() }' "$1"
}

files=()
[ -f "$etc/sources.list" ] && files+=("$etc/sources.list")
shopt -s nullglob
for f in "$etc"/sources.list.d/*; do
  case $f in *.list | *.sources) [ -f "$f" ] && files+=("$f") ;; esac
done
for f in "${files[@]}"; do
  case $f in
    *.sources) m=$(deb822 "$f") ;;
    *) m=$(oneline "$f") ;;
  esac
  if [ -n "$m" ]; then
    echo "$m"
    exit 0
  fi
done
echo "debian-mirror: no 'deb' source for suite $suite in $etc/sources.list or $etc/sources.list.d/" >&2
exit 1
