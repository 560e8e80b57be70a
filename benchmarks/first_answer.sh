#!/usr/bin/env bash
# Time from `git clone` to the first REST answer of `make run`, step by step (the README's
# five-minute promise). Writes benchmarks/results/first_answer.json in this repository.
# Usage: benchmarks/first_answer.sh [scratch-dir]     (default /tmp/fresh-first-answer)
#   RASA_PORT / ACTION_PORT / WEB_PORT  ports of the stack (run_stack.sh's variables)
#   PIP_CACHE_DIR=$(mktemp -d)          an empty pip cache (PIP_NO_CACHE_DIR=1 also works)
#   RECSYS_SHARED_DATA_DIR              ../shared/data for a clone that does not sit beside ../shared
# The steps come from the stamps `make run` leaves (their file times) and the stack's own logs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${1:-/tmp/fresh-first-answer}"
export RASA_PORT="${RASA_PORT:-5005}" ACTION_PORT="${ACTION_PORT:-5055}" WEB_PORT="${WEB_PORT:-8080}"
results="$repo/benchmarks/results"
mkdir -p "$results"
now() { date +%s.%N; }
mtime() { if [ -e "$1" ]; then stat -c %.Y "$1"; else echo null; fi; }

rm -rf "$scratch" "$scratch.log"
start=$(now)
git clone -q "$repo" "$scratch"
cloned=$(now)
# job control on: the background job gets a process group of its own whose id is $!, so the kill
# below reaches make and every server it started
set -m
(cd "$scratch" && make run 2>&1 | python3 -u -c '
import sys, time
for line in sys.stdin:
    print(f"{time.time():.2f} {line}", end="", flush=True)' >"$scratch.log") &
run_pid=$!
set +m
answer="" ready=""
for _ in $(seq 1 1800); do
  reply=$(curl -s -m 20 "localhost:$RASA_PORT/webhooks/rest/webhook" -H 'content-type: application/json' \
    -d '{"sender":"bench","message":"recommend me a funny movie from the 90s"}' 2>/dev/null || true)
  if [[ "$reply" == *'"recommendations"'* ]]; then answer=$(now); break; fi
  sleep 1
done
echo "$reply" >"$scratch.answer.json"
# the local LLM joins in the background: wait until it is in memory (at most 10 minutes)
for _ in $(seq 1 300); do
  grep -q "local LLM .* loaded\|loading the local LLM .* failed" "$scratch/var/log/actions.log" 2>/dev/null && break
  sleep 2
done
logged() {  # epoch seconds of the first line of log $1 matching $2 (the logs' own local timestamps)
  python3 - "$1" "$2" <<'PY'
import re, sys, time
for line in open(sys.argv[1], errors="replace"):
    if re.search(sys.argv[2], line) and (m := re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", line)):
        print(time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))); break
else:
    print("null")
PY
}
llm_loaded=$(logged "$scratch/var/log/actions.log" "local LLM .* loaded")
rasa_up=$(logged "$scratch/var/log/rasa.log" "Rasa server is up")
ready=$(awk '$2 == "Ready." {print $1; exit}' "$scratch.log")
kill -INT -- "-$run_pid" 2>/dev/null || true
for _ in $(seq 1 30); do kill -0 -- "-$run_pid" 2>/dev/null || break; sleep 1; done
kill -- "-$run_pid" 2>/dev/null && sleep 2 || true

app=$(mtime "$scratch/.venv/.installed") rasa_venv=$(mtime "$scratch/.venv-rasa/.installed")
web=$(mtime "$scratch/web/vendor/socket.io.min.js") data=$(mtime "$scratch/var/.ingested-movielens100k")
model=$(mtime "$scratch/models/recommender.tar.gz")
json=$(python3 - "$start" "$cloned" "$app" "$rasa_venv" "$web" "$data" "$model" "${rasa_up:-null}" "${ready:-null}" \
  "${answer:-null}" "${llm_loaded:-null}" "$(nproc)" "${PIP_CACHE_DIR:-}${PIP_NO_CACHE_DIR:+no-cache}" \
  "$(git -C "$scratch" rev-parse --short HEAD)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
names = ["start", "cloned", "app_venv", "rasa_venv", "web_vendor", "data", "rasa_model", "rasa_up", "ready",
         "first_answer", "llm_loaded"]
t = {n: (None if v == "null" else float(v)) for n, v in zip(names, sys.argv[1:12])}
# seconds from the start (the chains of `make run` overlap, so these are finishing times, not durations)
at = {n: round(t[n] - t["start"], 1) for n in names[1:] if t[n] is not None}
out = {"cores": int(sys.argv[12]), "pip_cache": sys.argv[13] or "default", "commit": sys.argv[14],
       "loadavg_at_end": sys.argv[15], "clone_to_first_answer_s": at.get("first_answer"), "done_at_s": at}
print(json.dumps(out))
PY
)
echo "$json" >"$results/first_answer.json"
echo "$json"
[ -n "$answer" ] || { echo "no answer; see $scratch.log" >&2; exit 1; }
