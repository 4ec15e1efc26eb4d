#!/usr/bin/env bash
# Start every long-running role of the Procfile (gunicorn, a worker per queue, beat) against
# local PostgreSQL and Redis, wait until /health/ says every queue answered its heartbeat,
# load the demo through the workers, then stop. What compose.yaml runs, without Docker.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${SMOKE_DB:-podindex_smoke}
port=${SMOKE_PORT:-8765}
dropdb -h 127.0.0.1 -U postgres --if-exists "$db"
createdb -h 127.0.0.1 -U postgres "$db"
env_file=$(mktemp)
trap 'kill "$honcho" 2>/dev/null || true; wait "$honcho" 2>/dev/null || true; rm -f "$env_file"' EXIT
cat > "$env_file" <<ENV
DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
CELERY_BROKER_URL=redis://127.0.0.1:6379/5
CACHE_URL=redis://127.0.0.1:6379/6
SECRET_KEY=smoke-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
SITE_URL=http://127.0.0.1:$port
ALLOWED_HOSTS=127.0.0.1,localhost
PORT=$port
WEB_CONCURRENCY=2
PATH=$PWD/.venv/bin:/usr/bin:/bin
ENV
redis-cli -n 5 flushdb >/dev/null
redis-cli -n 6 flushdb >/dev/null
set -a; . "$env_file"; set +a
.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/honcho -e "$env_file" start web worker-poll worker-scoring worker-transcripts beat \
  > /tmp/podindex-smoke.log 2>&1 &
honcho=$!
echo "Waiting for every queue's heartbeat (beat sends them each minute)…"
for _ in $(seq 1 90); do
  sleep 2
  report=$(curl -s -m 5 "http://127.0.0.1:$port/health/" || true)
  if echo "$report" | grep -q '"status": "ok"' && ! echo "$report" | grep -q '"lag_seconds": null'; then
    echo "$report"
    .venv/bin/python manage.py demo >/dev/null
    curl -s -o /dev/null -w "home page: HTTP %{http_code}, %{size_download} bytes\n" "http://127.0.0.1:$port/"
    exit 0
  fi
done
echo "No healthy report in 3 minutes; last: $report" >&2
tail -40 /tmp/podindex-smoke.log >&2
exit 1
