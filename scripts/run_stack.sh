#!/usr/bin/env bash
# Start the action server, the Rasa server, the web widget and the scheduler worker (retrain, retention);
# Ctrl-C (or any one dying) stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
RASA_PORT="${RASA_PORT:-5005}" ACTION_PORT="${ACTION_PORT:-5055}" WEB_PORT="${WEB_PORT:-8080}"
mkdir -p var/log
# other ports: Rasa must call the action server where it listens, and the action server must send
# its follow-up messages to this Rasa (endpoints.yml and RECSYS_RASA_URL name the default ports)
endpoints=endpoints.yml
if [ "$ACTION_PORT" != 5055 ]; then
  endpoints=var/endpoints-$ACTION_PORT.yml
  sed "s#127.0.0.1:5055/#127.0.0.1:$ACTION_PORT/#" endpoints.yml >"$endpoints"
fi
export RECSYS_RASA_URL="${RECSYS_RASA_URL:-http://127.0.0.1:$RASA_PORT}"

pids=()
stop() { trap - INT TERM EXIT; echo; echo "stopping..."; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT

# `> >(tee ...)`, not `| tee`: $! must be the server itself, so that stopping (or one dying) is seen
.venv/bin/python -m recommender.actionserver --actions recommender.actions --port "$ACTION_PORT" > >(tee var/log/actions.log) 2>&1 &
pids+=($!)
.venv-rasa/bin/rasa run --enable-api --cors "*" -i 127.0.0.1 --port "$RASA_PORT" \
  --model models/recommender.tar.gz --endpoints "$endpoints" --credentials credentials.yml > >(tee var/log/rasa.log) 2>&1 &
pids+=($!)
.venv/bin/python -m http.server "$WEB_PORT" --bind 127.0.0.1 --directory web >var/log/web.log 2>&1 &
pids+=($!)
# background work at a lower CPU priority: on a fresh clone the first retrain (about 2 min of both
# cores) starts 15 s in, and must not slow Rasa loading its model or the turns being served
nice -n 10 .venv/bin/python -m recommender worker >var/log/worker.log 2>&1 &
pids+=($!)

# until both answer, however long loading takes on a busy machine; a server that dies ends the wait
alive() { for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done; }
while alive; do
  if curl -fsS "http://127.0.0.1:$RASA_PORT/" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$ACTION_PORT/health" >/dev/null 2>&1; then
    echo
    echo "Ready."
    web="http://127.0.0.1:$WEB_PORT"
    [ "$RASA_PORT" = 5005 ] || web="$web/?rasa=http://127.0.0.1:$RASA_PORT"  # the widget's default is :5005
    echo "  web chat:  $web"
    echo "  REST:      curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{\"sender\":\"me\",\"message\":\"recommend me a funny movie from the 90s\"}'"
    echo "  worker:    scheduled retrain and retention jobs (var/log/worker.log)"
    echo "  LLM:       $(.venv/bin/python -c 'from recommender.config import get_settings as g; s = g(); print(s.llm_backend, "" if s.llm_backend == "none" else s.llm_model)') (a local model joins once loaded in the background; turns are answered without it until then. RECSYS_LLM_BACKEND=none|local|openai, see docs/llm.md)"
    echo "  Ctrl-C stops everything. Logs: var/log/"
    break
  fi
  sleep 1
done
wait -n "${pids[@]}"
echo "a server stopped; shutting the rest down (see var/log/)" >&2
exit 1
