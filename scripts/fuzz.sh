#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for a
# while on a temporary copy of its seed corpus (the repository's corpus is
# never grown), two at a time.
#
#   scripts/fuzz.sh [--seconds N] [--jobs J] [TARGET...]
#
# TARGET is a name from tests/cmake/fuzz.cmake (scenario, units, json...);
# default: all of them, N = 60 seconds each, J = 2. Exits non-zero when a
# target crashes, leaks, times out or runs out of memory, and prints the
# reproducer (kept under build-fuzz/fuzz-artifacts/<target>/). Replay it with
#   build-fuzz/tests/fuzz_<target> FILE      (or build/tests/replay_<target> FILE)
# and add it to tests/fuzz/regressions/<target>/ once fixed.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SX_FUZZ_BUILD:-$root/build-fuzz}
seconds=60
jobs=2
targets=()

while [ $# -gt 0 ]; do
    case $1 in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --jobs=*) jobs=${1#*=}; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
case $seconds in ''|*[!0-9]*) echo "fuzz.sh: --seconds wants a whole number" >&2; exit 2 ;; esac
case $jobs in ''|*[!0-9]*|0) echo "fuzz.sh: --jobs wants a number >= 1" >&2; exit 2 ;; esac

all=$(sed -n '/^set(SX_FUZZ_TARGETS/,/)/p' "$root/tests/cmake/fuzz.cmake" |
      tr -d '()' | sed 's/set//; s/SX_FUZZ_TARGETS//' | tr -s ' \n' ' ')
[ ${#targets[@]} -gt 0 ] || read -r -a targets <<<"$all"
for t in "${targets[@]}"; do
    case " $all " in *" $t "*) ;; *) echo "fuzz.sh: unknown target '$t' (have:$all)" >&2; exit 2 ;; esac
done

command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }

# Per-target input size bound: what the real caller can pass.
max_len() {
    case $1 in
    units) echo 256 ;;          # a YAML scalar
    retry_after) echo 128 ;;    # on_header keeps 127 bytes
    log_template) echo 1024 ;;  # the harness ignores longer bodies
    scenario) echo 65536 ;;
    *) echo 16384 ;;
    esac
}

echo "fuzz.sh: building ${targets[*]} in $build"
bins=()
for t in "${targets[@]}"; do bins+=("fuzz_$t"); done
if ! cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DSX_FUZZ=ON -DSX_BENCH=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1; then
    cat "$build.configure.log" >&2
    echo "fuzz.sh: cmake configure failed" >&2
    exit 2
fi
rm -f "$build.configure.log"
cmake --build "$build" -j"$jobs" --target "${bins[@]}" >/dev/null || {
    cmake --build "$build" -j1 --target "${bins[@]}" 2>&1 | grep -E 'error|Error' >&2
    echo "fuzz.sh: build failed" >&2
    exit 2
}

work=$(mktemp -d "${TMPDIR:-/tmp}/sx-fuzz.XXXXXX")
pids=()
cleanup() {
    # the fuzzers this script started (their pids), then the runner subshells
    for f in "$work"/*/pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_one() {
    local t=$1 dir=$work/$t art=$build/fuzz-artifacts/$t
    mkdir -p "$dir/corpus" "$art"
    cp "$root/tests/fuzz/corpus/$t/"* "$dir/corpus/" 2>/dev/null
    # -timeout: one input; -rss_limit_mb: the whole process (the machine is shared).
    local dict=()
    [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
    # An outer bound too, in case libFuzzer itself wedges.
    timeout -k 10 $((seconds + 120)) "$build/tests/fuzz_$t" -max_total_time="$seconds" \
        -timeout=25 -rss_limit_mb=1024 -max_len="$(max_len "$t")" -print_final_stats=1 \
        "${dict[@]}" -artifact_prefix="$art/" "$dir/corpus" >"$dir/log" 2>&1 &
    echo $! >"$dir/pid"
    wait $!
    echo $? >"$dir/rc"
    rm -f "$dir/pid"
}

start=$(date +%s)
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    echo "fuzz.sh: $t for ${seconds}s"
    run_one "$t" &
    pids+=($!)
done
wait
pids=()

fail=0
printf '\n%-14s %8s %10s %8s %8s %8s  %s\n' target seconds execs exec/s cov ft result
for t in "${targets[@]}"; do
    dir=$work/$t
    rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$dir/log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    result=ok
    if [ "$rc" != 0 ]; then
        fail=1
        # crash, sanitizer report, leak, timeout or out-of-memory: the first report line
        kind=$(grep -oE '(ERROR: |runtime error: ).*' "$dir/log" | head -1 | cut -c1-100)
        repro=$(sed -n "s/.*Test unit written to \(.*\)/\1/p" "$dir/log" | tail -1)
        result="FAILED (rc $rc): ${kind:-see log}"
        cp "$dir/log" "$build/fuzz-artifacts/$t/last.log"
        {
            echo "fuzz.sh: $t failed: ${kind:-exit $rc}"
            echo "fuzz.sh:   reproducer: ${repro:-none written}"
            echo "fuzz.sh:   log: $build/fuzz-artifacts/$t/last.log"
            grep -E -A12 '^==[0-9]+==ERROR|runtime error|ERROR: libFuzzer' "$dir/log" | head -30
        } >&2
    fi
    printf '%-14s %8s %10s %8s %8s %8s  %s\n' "$t" "$seconds" "${execs:-?}" "${eps:-?}" \
        "${cov:-?}" "${ft:-?}" "$result"
done
echo "fuzz.sh: ${#targets[@]} target(s) in $(( $(date +%s) - start ))s"
exit $fail
