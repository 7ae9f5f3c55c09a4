#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/, docs/robustness.md) under nice, one at a time.
#   scripts/fuzz.sh                 every target, 60 s each
#   scripts/fuzz.sh TARGET [SECS]   one target (SECS: 60); TARGET=all for every target
#   FUZZ_RUNS=N scripts/fuzz.sh T   stop after N executions instead (-runs=N)
#   FUZZ_RUNS=N scripts/fuzz.sh T S after N executions or S seconds, whichever comes first
#   FUZZ_JOB=2 scripts/fuzz.sh T S  a second process on the same corpus (its log: fuzz/logs/T.2.log)
# Needs the nightly toolchain and cargo-fuzz (cargo +nightly install cargo-fuzz --locked).
# Builds without a sanitizer (-s none: safe Rust; panics, overflows in debug assertions,
# timeouts and OOMs are what we look for) with debug assertions on (-a). Seeds come from
# scripts/fuzz-seeds.sh; crashes land in fuzz/artifacts/TARGET/, logs in fuzz/logs/.
# Prints one summary line per target: executions, exec/s, coverage, features, crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-all}
secs=${2:-}
dict_of() {
  case $1 in
    smtp_*|typed_terminals) echo smtp ;;
    pop3_*) echo pop3 ;;
    imap_*) echo imap ;;
    mime) echo mime ;;
    http*) echo http ;;
    scram) echo scram ;;
    *) echo "" ;;
  esac
}
if [ "$target" = all ]; then
  targets=$(sed -n 's/^name = "\(.*\)"/\1/p' fuzz/Cargo.toml | grep -v mailsim-fuzz)
else
  targets=$target
fi
[ -d fuzz/corpus ] || scripts/fuzz-seeds.sh >/dev/null
mkdir -p fuzz/logs
# Only the targets asked for: building all twenty after a change is minutes of a shared core.
build_args=()
[ "$target" = all ] || build_args=("$target")
nice -n 19 cargo +nightly fuzz build -O -a -s none "${build_args[@]}" >/dev/null 2>&1 ||
  nice -n 19 cargo +nightly fuzz build -O -a -s none "${build_args[@]}"
for t in $targets; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  d=$(dict_of "$t")
  # -reload=0: one process per corpus, so nothing else adds to it; rereading the directory
  # every second took 3 to 13 % of a run (mime: 7,800 files).
  args=(-timeout=10 -rss_limit_mb=2048 -max_len=16384 -reload=0 -print_final_stats=1 "-artifact_prefix=fuzz/artifacts/$t/")
  [ -n "$d" ] && args+=("-dict=fuzz/dict/$d.dict")
  [ -n "${FUZZ_RUNS:-}" ] && args+=("-runs=$FUZZ_RUNS")
  [ -n "$secs" ] || [ -z "${FUZZ_RUNS:-}" ] && args+=("-max_total_time=${secs:-60}")
  [ -n "${FUZZ_IGNORE_CRASHES:-}" ] && args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  log=fuzz/logs/$t${FUZZ_JOB:+.$FUZZ_JOB}.log
  set +e
  nice -n 19 cargo +nightly fuzz run -O -a -s none "$t" "fuzz/corpus/$t" -- "${args[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  line=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  crashes=$(ls "fuzz/artifacts/$t" 2>/dev/null | wc -l)
  echo "$t execs=${execs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?} artifacts=$crashes rc=$rc"
done
