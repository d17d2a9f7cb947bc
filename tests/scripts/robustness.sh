#!/usr/bin/env bash
# Hostile files through the real CLI: never a crash, always exit 2 and a
# positioned first line. (The in-process mutation fuzzer is test_robustness.)
set -u
bin=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
expect_invalid() {   # expect_invalid NAME FILE PATTERN
  local out rc
  out=$("$bin" lint "$2" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 2 ]; then
    echo "FAIL $1: exit $rc, want 2"; echo "$out" | head -3; fail=$((fail + 1)); return
  fi
  if ! head -n 1 <<<"$out" | grep -qE "$3"; then
    echo "FAIL $1: first line '$(head -n 1 <<<"$out")' does not match $3"; fail=$((fail + 1)); return
  fi
  pass=$((pass + 1))
}
flagship=$root/scenarios/checkout-db-pool-exhaustion.yaml
size=$(wc -c <"$flagship")

: >"$tmp/empty.yaml"
expect_invalid empty "$tmp/empty.yaml" ":1:1: error: empty scenario file"
head -c $((size / 2)) "$flagship" >"$tmp/half.yaml"
expect_invalid truncated-half "$tmp/half.yaml" ":[0-9]+:[0-9]+: error: "
head -c 100 "$flagship" >"$tmp/head.yaml"
expect_invalid truncated-head "$tmp/head.yaml" ":[0-9]+:[0-9]+: error: "
# Deterministic random bytes: a fixed awk LCG, the same on every machine.
awk 'BEGIN { x = 12345; for (i = 0; i < 4096; i++) { x = (x * 1103515245 + 12345) % 2147483648;
     printf "%c", int(x / 65536) % 256 } }' >"$tmp/random.yaml"
expect_invalid random-bytes "$tmp/random.yaml" ":[0-9]+:[0-9]+: error: "
printf 'version: 1\nname: x\0\n' >"$tmp/nul.yaml"
expect_invalid nul "$tmp/nul.yaml" ":2:8: error: file contains a NUL byte"
head -c 5000000 /dev/zero | tr '\0' ' ' >"$tmp/huge.yaml"
expect_invalid huge "$tmp/huge.yaml" ":1:1: error: file is larger than"
expect_invalid directory "$tmp" "error: (cannot read|cannot open)"
for i in 1 2 3; do   # flagship with one line removed at several places
  awk -v n=$((i * 37)) 'NR != n' "$flagship" >"$tmp/drop$i.yaml"
  out=$("$bin" lint "$tmp/drop$i.yaml" 2>&1); rc=$?
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; then pass=$((pass + 1)); else
    echo "FAIL drop$i: exit $rc"; fail=$((fail + 1)); fi
done
echo "cli robustness: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
