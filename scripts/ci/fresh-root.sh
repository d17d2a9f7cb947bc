#!/usr/bin/env bash
# Proves the README's two set-up commands on a fresh minimal Debian 12: makes a
# root with `debootstrap --variant=minbase bookworm`, clones the commit under
# test into it and runs there, via chroot, exactly
#     bash scripts/quickstart.sh
#     bash scripts/install-deps.sh && bash scripts/test.sh
# so a package that is only present because someone installed it by hand on
# the CI machine cannot hide. The root is always torn down, also on failure or
# interrupt: processes inside it killed, every mount under it unmounted (and
# checked with findmnt) before a single file is removed.
#
# Usage (as root):
#   scripts/ci/fresh-root.sh [BASE]      BASE: an empty directory to work in
#                                        (default: a new mktemp dir under /var/tmp)
#   scripts/ci/fresh-root.sh --cleanup BASE
#                                        tear down what a killed run left in BASE
# Environment:
#   SX_CI_MIRROR   Debian mirror (default: this machine's apt source for bookworm)
#   SX_CI_TIMINGS  file to append "STAGE SECONDS STATUS" lines to
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
timings=${SX_CI_TIMINGS:-/dev/null}

say() { printf '[fresh-root %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# ---- teardown -------------------------------------------------------------

# PIDs of processes whose root directory is $root or below it.
root_pids() {
  local p link
  for p in /proc/[0-9]*; do
    link=$(readlink "$p/root" 2>/dev/null) || continue
    case $link in "$root" | "$root"/*) echo "${p#/proc/}" ;; esac
  done
}

# Mount points at or under $root, deepest first.
root_mounts() {
  findmnt -rn -o TARGET | awk -v r="$root" '$0 == r || index($0, r "/") == 1' | sort -r
}

kill_root_procs() {
  local i p pids
  for i in $(seq 20); do
    pids=$(root_pids)
    [ -n "$pids" ] || return 0
    if [ "$i" -eq 1 ]; then
      # something a stage started outlived it: name it, it may be a test's leak
      for p in $pids; do
        say "still running inside the root: pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-200)"
      done
    fi
    if [ "$i" -le 6 ]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
    else
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
    fi
    sleep 0.5
  done
  say "processes still running inside $root: $(root_pids | tr '\n' ' ')"
  return 1
}

unmount_root() {
  local i m left
  for i in 1 2 3; do
    left=$(root_mounts)
    [ -n "$left" ] || return 0
    while read -r m; do
      # a busy mount is detached lazily: it is gone from the tree at once
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done <<<"$left"
  done
  left=$(root_mounts)
  [ -z "$left" ] || { say "still mounted under $root:"; echo "$left"; return 1; }
}

# Stops the running stage: its whole process group, TERM then KILL.
stop_child() {
  local i
  [ -n "${child:-}" ] || return 0
  echo "$stage_name $(($(date +%s) - stage_t0)) INTERRUPTED" >>"$timings"
  kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null || true
  for i in $(seq 20); do
    kill -0 "$child" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL -- "-$child" 2>/dev/null || kill -KILL "$child" 2>/dev/null || true
  wait "$child" 2>/dev/null || true
  child=
}

# Idempotent; refuses to delete anything while a mount remains under $base,
# and anything that is not a directory this script made (the marker file).
marker=.sigsynth-ci-fresh-root
teardown() {
  local ok=1
  [ -n "${base:-}" ] && [ -d "$base" ] || return 0
  [ -f "$base/$marker" ] || { say "$base has no $marker: not touching it"; return 1; }
  root=$base/root
  say "teardown of $root"
  stop_child
  kill_root_procs || ok=0
  unmount_root || ok=0
  if [ -n "$(findmnt -rn -o TARGET | awk -v r="$base" '$0 == r || index($0, r "/") == 1')" ]; then
    ok=0
  fi
  if [ "$ok" -ne 1 ]; then
    say "NOT removing $base: mounts or processes remain (see above)"
    return 1
  fi
  say "no mounts left under $base: removing it"
  rm -rf --one-file-system "$base"
  say "removed $base"
}

on_exit() {
  local rc=$?
  trap '' INT TERM
  trap - EXIT
  teardown || rc=1
  exit "$rc"
}

if [ "${1:-}" = "--cleanup" ]; then
  base=$(realpath -e "${2:?usage: fresh-root.sh --cleanup BASE}")
  teardown
  exit $?
fi

[ "$(id -u)" -eq 0 ] || { echo "fresh-root: run as root (debootstrap, mount, chroot)" >&2; exit 2; }

# ---- set-up ---------------------------------------------------------------

child=
if [ -n "${1:-}" ]; then
  base=$(realpath -e "$1")
  [ -z "$(ls -A "$base")" ] || { echo "fresh-root: $base is not empty" >&2; exit 2; }
else
  base=$(mktemp -d /var/tmp/sigsynth-ci.XXXXXX)
  base=$(realpath -e "$base")
fi
: >"$base/$marker"
root=$base/root
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_stage NAME [--log FILE] CMD...: runs CMD in its own process group (so
# teardown can stop all of it), in the background so that a signal reaches our
# trap at once (bash defers traps while a foreground child runs); records the
# time it took.
run_stage() {
  local rc=0 dt st=ok
  stage_name=$1
  shift
  stage_t0=$(date +%s)
  say "stage $stage_name: start"
  if [ "$1" = "--log" ]; then
    setsid "${@:3}" </dev/null >>"$2" 2>&1 &
  else
    setsid "$@" </dev/null &
  fi
  child=$!
  wait "$child" || rc=$?
  child=
  dt=$(($(date +%s) - stage_t0))
  [ "$rc" -eq 0 ] || st="FAILED(rc=$rc)"
  say "stage $stage_name: $st after ${dt} s"
  echo "$stage_name $dt $st" >>"$timings"
  return "$rc"
}

commit=$(git -C "$repo" rev-parse --verify "HEAD^{commit}")
mirror=${SX_CI_MIRROR:-$("$here/debian-mirror.sh" bookworm)}
say "commit $commit, root $root, mirror from this machine's apt sources: $mirror"
mkdir "$root"

if ! run_stage debootstrap --log "$base/debootstrap.log" \
  debootstrap --variant=minbase bookworm "$root" "$mirror"; then
  tail -n 40 "$base/debootstrap.log"
  exit 1
fi

# What apt inside needs from the host: name resolution, and apt's own network
# settings (proxy, and the host's view on Release validity: a mirror that
# serves a dated snapshot has an expired Valid-Until). Nothing else is copied.
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp -L /etc/hosts "$root/etc/hosts"
apt-config dump | grep -E '^Acquire::(http|https|ftp)::Proxy|^Acquire::Check-Valid-Until|^Acquire::Check-Date' \
  >"$root/etc/apt/apt.conf.d/90sigsynth-ci-host" || true
# Package maintainer scripts must not start services in the root.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
mount -t tmpfs -o mode=755,nosuid,nodev run "$root/run"
mkdir -m 1777 "$root/run/lock"

# What was committed, not the working tree.
src=/root/sigsynth
git clone -q --no-hardlinks "$repo" "$root$src"
git -C "$root$src" cat-file -e "$commit^{commit}" 2>/dev/null || git -C "$root$src" fetch -q "$repo" "$commit"
git -C "$root$src" checkout -q --detach "$commit"
[ "$(git -C "$root$src" rev-parse HEAD)" = "$commit" ] || { say "clone is not at $commit"; exit 1; }
say "cloned $commit into $src in the root"

# A newcomer's plain environment in the clone: nothing of the CI machine's
# environment leaks in.
in_root=(chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI=true
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c)

rc=0
# The README's two commands, in order, each exactly as written there.
run_stage quickstart "${in_root[@]}" "cd $src && bash scripts/quickstart.sh" || rc=1
run_stage test-command "${in_root[@]}" "cd $src && bash scripts/install-deps.sh && bash scripts/test.sh" || rc=1
exit "$rc"
