#!/usr/bin/env bash
# Measure the README's two promises from a fresh clone: wall time of `make test`, and time from
# `git clone` to the first REST answer of `make run`. Writes benchmarks/results/fresh_clone.{json,md}.
# Usage: benchmarks/fresh_clone.sh [scratch-dir]   (the scratch dir should sit beside ../shared)
# Run it with nothing on ports 5005/5055/8080. pip's cache makes the venv step faster on a rerun.
set -euo pipefail
export RECSYS_REQUIRE_POSTGRES=1  # as .ci/run: a PostgreSQL test fails instead of skipping
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${1:-$(dirname "$repo")/fresh-clone-bench}"
results="$repo/benchmarks/results"
mkdir -p "$results"
now() { date +%s.%N; }

rm -rf "$scratch-test" && git clone -q "$repo" "$scratch-test"
start=$(now)
test_status=0
(cd "$scratch-test" && make test >"$scratch-test.log" 2>&1) || test_status=$?
test_seconds=$(echo "$(now) - $start" | bc)
summary=$(grep -E "^=+ .*(passed|failed).* in " "$scratch-test.log" | tail -n 1 | tr -d '=' | sed 's/^ *//')

rm -rf "$scratch-run"
start=$(now)
git clone -q "$repo" "$scratch-run"
# job control on: the background job gets a process group of its own whose id is $!, so the
# kill below reaches make and every server it started (without it the job shares this script's
# group, and setsid would give make a group whose id is not $!)
set -m
(cd "$scratch-run" && make run >"$scratch-run.log" 2>&1) &
run_pid=$!
set +m
answer_seconds=""
for _ in $(seq 1 900); do
  reply=$(curl -s -m 20 localhost:5005/webhooks/rest/webhook -H 'content-type: application/json' \
    -d '{"sender":"bench","message":"recommend me a funny movie from the 90s"}' 2>/dev/null || true)
  if [[ "$reply" == *'"recommendations"'* ]]; then answer_seconds=$(echo "$(now) - $start" | bc); break; fi
  sleep 2
done
kill -INT -- "-$run_pid" 2>/dev/null || true
for _ in $(seq 1 30); do kill -0 -- "-$run_pid" 2>/dev/null || break; sleep 1; done
kill -- "-$run_pid" 2>/dev/null && sleep 2 || true
if kill -0 -- "-$run_pid" 2>/dev/null; then echo "make run did not stop (process group $run_pid)" >&2; fi

cat >"$results/fresh_clone.json" <<JSON
{"measured_at": "$(date -u +%FT%TZ)", "cores": $(nproc), "make_test_seconds": $test_seconds,
 "make_test_exit": $test_status, "make_test_summary": "$summary",
 "clone_to_first_answer_seconds": ${answer_seconds:-null}}
JSON
cat >"$results/fresh_clone.md" <<MD
| measure (fresh clone, $(nproc) cores) | result |
|---|---|
| \`make test\` wall time | ${test_seconds%.*} s (exit $test_status; $summary) |
| \`git clone\` → first answer of \`make run\` | ${answer_seconds%.*} s |
MD
cat "$results/fresh_clone.md"
