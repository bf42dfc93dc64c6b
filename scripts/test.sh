#!/usr/bin/env bash
# Installs, builds and runs every test: unit and integration tests (release build), the same suite
# under ASan+UBSan, and each libFuzzer target for a bounded time; first scripts/format-check.sh. PostgreSQL is started for the run.
# Usage: scripts/test.sh [--quick]   (--quick: release suite only)
# Environment: FUZZ_SECONDS (default 15 per target), CTEST_ARGS (extra ctest arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=0; [ "${1:-}" = "--quick" ] && quick=1

scripts/setup.sh --test

pgdir=$(mktemp -d /tmp/hookd-test-pg.XXXXXX)
cleanup() { scripts/pg-cluster.sh stop "$pgdir" || true; rm -rf "$pgdir"; }
trap cleanup EXIT
pgport=$((20000 + RANDOM % 20000))
export HOOKD_TEST_PG_URL=$(scripts/pg-cluster.sh start "$pgdir" "$pgport")
export HOOKD_TEST_PG_DIR=$pgdir
echo "test: PostgreSQL for the tests at $HOOKD_TEST_PG_URL"

status=0
scripts/format-check.sh || status=1

run_suite() {
  local dir=$1; shift
  echo "=== build $dir $*"
  scripts/build.sh "$dir" "$@"
  echo "=== test $dir"
  ctest --test-dir "$dir" --output-on-failure --timeout 900 -j2 ${CTEST_ARGS:-} || status=1
}

run_suite build/release
if [ $quick = 0 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build/asan -DHOOKD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

  echo "=== fuzz (${FUZZ_SECONDS:-15} s per target)"
  CC=clang cmake -S . -B build/fuzz -DCIVETWEB_DIR="$root/build/_deps/civetweb" -DHOOKD_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/fuzz -j"$(nproc)" --target fuzzers
  fpass=0; ffail=0
  for f in build/fuzz/tests/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f"); corpus=tests/fuzz/corpus/${name#fuzz_}
    work=$(mktemp -d); [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
    if "$f" -max_total_time="${FUZZ_SECONDS:-15}" -rss_limit_mb=2048 -max_len=65536 "$work" >"build/fuzz/$name.log" 2>&1; then
      echo "fuzz $name: ok, $(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "build/fuzz/$name.log" || echo 'run count not printed')"
      fpass=$((fpass + 1))
    else
      echo "fuzz $name: FAILED, see build/fuzz/$name.log"; tail -30 "build/fuzz/$name.log"; ffail=$((ffail + 1)); status=1
    fi
    rm -rf "$work"
  done
  echo "fuzz: $fpass passed, $ffail failed"
fi
exit $status
