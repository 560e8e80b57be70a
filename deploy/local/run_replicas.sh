#!/usr/bin/env bash
# The replica profile on one machine (docs/deploy.md): two Rasa servers and two action servers behind
# nginx, on PostgreSQL (recommender database, Rasa's tracker store, the scheduler's job store and
# leases) and Redis (Rasa's lock store), with the model versions in one shared folder that every
# action server reads. `make replicas` runs it; tests/e2e/test_replicas.py starts it as it is.
# Ctrl-C (SIGINT/SIGTERM), or any one server dying, stops everything it started.
#
# Settings (environment; defaults in brackets):
#   RECSYS_DATABASE_URL        recommender database [postgresql+psycopg://postgres@127.0.0.1:5432/recsys_replicas]
#   RASA_TRACKER_DB_HOST/PORT/NAME/USER/PASSWORD   Rasa's tracker store [127.0.0.1/5432/recsys_replicas_tracker/postgres/""]
#   RASA_REDIS_HOST/PORT/DB/PASSWORD, RASA_LOCK_KEY_PREFIX   Rasa's lock store [127.0.0.1/6379/1/""/recommender]
#   REPLICA_FRONT_PORT         nginx for users: REST, webhooks, API, socket.io [5105]
#   REPLICA_ACTION_FRONT_PORT  nginx for the Rasa servers' action calls [5155]
#   REPLICA_RASA_PORTS, REPLICA_ACTION_PORTS   the replicas' own loopback ports ["5101 5102", "5151 5152"]
#   REPLICA_WORKERS            scheduler workers (retrain, retention; one lease per job) [2]
#   REPLICA_RUN_DIR            logs, nginx.conf, pids [var/replicas]
#   REPLICA_SHARED_DIR         RECSYS_VAR_DIR of every action server and worker: the model versions
#                              (<dir>/models/serving), shared between hosts in production [$REPLICA_RUN_DIR/shared]
#   NGINX_BIN                  nginx binary [/usr/sbin/nginx; `make nginx` installs Debian's]. Not NGINX:
#                              nginx itself reads that variable (inherited sockets) and complains
#   RASA_MODEL                 [models/recommender.tar.gz]
# Secrets as `make run` (docs/security.md): the environment wins, then .env, then var/secrets.env,
# generated once (mode 600) when a secret is missing from both. Every replica gets the same ones:
# the same RECSYS_USER_ID_SECRET (one user is one user on every replica), RECSYS_SOCKETIO_SECRET
# (a session signed by one Rasa replica is valid on the other) and RECSYS_ACTION_TOKEN.
set -euo pipefail
cd "$(dirname "$0")/../.."
export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
SECONDS=0  # the startup time printed with "Ready"

RUN_DIR="$(realpath -m "${REPLICA_RUN_DIR:-var/replicas}")"
SHARED_DIR="$(realpath -m "${REPLICA_SHARED_DIR:-$RUN_DIR/shared}")"
FRONT_PORT="${REPLICA_FRONT_PORT:-5105}" ACTION_FRONT_PORT="${REPLICA_ACTION_FRONT_PORT:-5155}"
read -r -a RASA_PORTS <<<"${REPLICA_RASA_PORTS:-5101 5102}"
read -r -a ACTION_PORTS <<<"${REPLICA_ACTION_PORTS:-5151 5152}"
WORKERS="${REPLICA_WORKERS:-2}"
unset NGINX  # nginx reads $NGINX as a list of inherited sockets
nginx_bin="${NGINX_BIN:-/usr/sbin/nginx}"
RASA_MODEL="${RASA_MODEL:-models/recommender.tar.gz}"
[ "${#RASA_PORTS[@]}" = 2 ] && [ "${#ACTION_PORTS[@]}" = 2 ] || { echo "error: two Rasa ports and two action ports, please" >&2; exit 2; }
[ -x "$nginx_bin" ] || { echo "error: nginx not found at $nginx_bin: run \`make nginx\` (Debian's nginx), or set NGINX_BIN=" >&2; exit 2; }
[ -f "$RASA_MODEL" ] || { echo "error: no Rasa model at $RASA_MODEL: run \`make rasa-model\`" >&2; exit 2; }

load_env() {  # export KEY=VALUE lines of file $1 unless KEY is already in the environment (as scripts/run_stack.sh)
  [ -f "$1" ] || return 0
  while IFS='=' read -r key value; do
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    value="${value%$'\r'}"
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
    [ -n "${!key+x}" ] || export "$key=$value"
  done <"$1"
}
SECRETS=(RECSYS_USER_ID_SECRET RECSYS_ACTION_TOKEN RECSYS_RASA_AUTH_TOKEN RECSYS_SOCKETIO_SECRET)
load_env .env
missing=0; for key in "${SECRETS[@]}"; do [ -n "${!key:-}" ] || missing=1; done
if [ "$missing" = 1 ] && [ ! -f var/secrets.env ]; then
  mkdir -p var
  ( umask 077
    { echo "# generated for development (scripts/run_stack.sh, deploy/local/run_replicas.sh); keep it"
      for key in "${SECRETS[@]}"; do
        echo "$key=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
      done; } >var/secrets.env )
fi
load_env var/secrets.env

export RECSYS_DATABASE_URL="${RECSYS_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/recsys_replicas}"
export RASA_TRACKER_DB_HOST="${RASA_TRACKER_DB_HOST:-127.0.0.1}" RASA_TRACKER_DB_PORT="${RASA_TRACKER_DB_PORT:-5432}"
export RASA_TRACKER_DB_NAME="${RASA_TRACKER_DB_NAME:-recsys_replicas_tracker}"
export RASA_TRACKER_DB_USER="${RASA_TRACKER_DB_USER:-postgres}" RASA_TRACKER_DB_PASSWORD="${RASA_TRACKER_DB_PASSWORD:-}"
export RASA_REDIS_HOST="${RASA_REDIS_HOST:-127.0.0.1}" RASA_REDIS_PORT="${RASA_REDIS_PORT:-6379}"
export RASA_REDIS_DB="${RASA_REDIS_DB:-1}" RASA_REDIS_PASSWORD="${RASA_REDIS_PASSWORD:-}"
export RASA_LOCK_KEY_PREFIX="${RASA_LOCK_KEY_PREFIX:-recommender}"
export REPLICA_ACTION_FRONT="127.0.0.1:$ACTION_FRONT_PORT"
export RECSYS_VAR_DIR="$SHARED_DIR"
# follow-up messages and forget-me calls from the action servers go to Rasa through nginx
export RECSYS_RASA_URL="${RECSYS_RASA_URL:-http://127.0.0.1:$FRONT_PORT}"
export RECSYS_CORS_ORIGINS="${RECSYS_CORS_ORIGINS:-http://127.0.0.1:8080 http://localhost:8080}"

mkdir -p "$RUN_DIR/log" "$SHARED_DIR/models/serving"
for tmp in client_body proxy fastcgi uwsgi scgi; do mkdir -p "$RUN_DIR/nginx/$tmp"; done
# the fetched MovieLens files, not fetched again
if [ -d var/data ] && [ ! -e "$SHARED_DIR/data" ] && [ "$SHARED_DIR" != "$(realpath -m var)" ]; then
  ln -s "$(realpath var/data)" "$SHARED_DIR/data"
fi

# nginx.conf: the template with this run's ports and folders; checked before anything starts
user_line=""; [ "$(id -u)" = 0 ] && user_line="user $(id -un);"  # workers may write $RUN_DIR/nginx
sed -e "s#@RUN_DIR@#$RUN_DIR#g" -e "s#@USER_LINE@#$user_line#" -e "s#@FRONT_PORT@#$FRONT_PORT#g" \
    -e "s#@ACTION_FRONT_PORT@#$ACTION_FRONT_PORT#g" \
    -e "s#@RASA_PORT_1@#${RASA_PORTS[0]}#g" -e "s#@RASA_PORT_2@#${RASA_PORTS[1]}#g" \
    -e "s#@ACTION_PORT_1@#${ACTION_PORTS[0]}#g" -e "s#@ACTION_PORT_2@#${ACTION_PORTS[1]}#g" \
    deploy/local/nginx.conf.template >"$RUN_DIR/nginx.conf"
"$nginx_bin" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/log/nginx-error.log"

# the two PostgreSQL databases (when missing), then MovieLens 100K once per recommender database
.venv/bin/python - <<'EOF'
import os
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

recsys = make_url(os.environ["RECSYS_DATABASE_URL"])
wanted = [(recsys, recsys.database)]
if recsys.get_backend_name() == "postgresql":
    tracker = recsys.set(host=os.environ["RASA_TRACKER_DB_HOST"], port=int(os.environ["RASA_TRACKER_DB_PORT"]),
                         username=os.environ["RASA_TRACKER_DB_USER"],
                         password=os.environ["RASA_TRACKER_DB_PASSWORD"] or None)
    wanted.append((tracker, os.environ["RASA_TRACKER_DB_NAME"]))
for url, name in wanted:
    if url.get_backend_name() != "postgresql":
        continue
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            print(f"created database {name}")
    admin.dispose()
EOF
stamp="$RUN_DIR/.ingested-$(echo -n "$RECSYS_DATABASE_URL" | sha256sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "Importing MovieLens 100K into $(.venv/bin/python -c 'import os; from recommender.store.db import safe_url; print(safe_url(os.environ["RECSYS_DATABASE_URL"]))')..."
  .venv/bin/python -m recommender ingest movielens100k --database-url "$RECSYS_DATABASE_URL" >"$RUN_DIR/log/ingest.log" 2>&1 \
    || { tail -20 "$RUN_DIR/log/ingest.log" >&2; exit 1; }
  touch "$stamp"
fi

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping the replica profile..."
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -f "$RUN_DIR/pids"
}
trap stop INT TERM EXIT

for i in 1 2; do
  .venv/bin/python -m recommender.actionserver --actions recommender.actions --port "${ACTION_PORTS[$((i - 1))]}" \
    >"$RUN_DIR/log/actions-$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2; do
  # shellcheck disable=SC2086  # the origins are a list of words
  .venv-rasa/bin/rasa run --enable-api --auth-token="$RECSYS_RASA_AUTH_TOKEN" --cors $RECSYS_CORS_ORIGINS \
    -i 127.0.0.1 --port "${RASA_PORTS[$((i - 1))]}" --model "$RASA_MODEL" \
    --endpoints deploy/local/endpoints.yml --credentials credentials.yml >"$RUN_DIR/log/rasa-$i.log" 2>&1 &
  pids+=($!)
done
for ((i = 1; i <= WORKERS; i++)); do
  nice -n 10 .venv/bin/python -m recommender worker >"$RUN_DIR/log/worker-$i.log" 2>&1 &
  pids+=($!)
done
"$nginx_bin" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/log/nginx-error.log" -g 'daemon off;' &
pids+=($!)
printf '%s\n' "${pids[@]}" >"$RUN_DIR/pids"

alive() { for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done; }
ready() {
  local port
  for port in "${RASA_PORTS[@]}"; do curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1 || return 1; done
  for port in "${ACTION_PORTS[@]}"; do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 || return 1; done
  curl -fsS "http://127.0.0.1:$FRONT_PORT/" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$ACTION_FRONT_PORT/health" >/dev/null 2>&1
}
until ready; do
  alive || { echo "a server stopped during startup; see $RUN_DIR/log/" >&2; exit 1; }
  sleep 1
done
echo "Ready in ${SECONDS} s."
echo "  users (REST, socket.io, webhooks, API):  http://127.0.0.1:$FRONT_PORT  (nginx; Rasa replicas on ${RASA_PORTS[*]})"
echo "  action calls from Rasa:                 http://127.0.0.1:$ACTION_FRONT_PORT  (nginx; action servers on ${ACTION_PORTS[*]})"
echo "  model versions (shared folder):         $SHARED_DIR/models/serving"
echo "  logs: $RUN_DIR/log/ (nginx-access.log names the replica of every request). Ctrl-C stops everything."
wait -n "${pids[@]}"
echo "a server stopped; shutting the rest down (see $RUN_DIR/log/)" >&2
exit 1
