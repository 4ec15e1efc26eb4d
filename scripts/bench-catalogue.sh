#!/usr/bin/env bash
# Create and load the benchmarks' scratch PostgreSQL catalogue (5,000 shows, 250,000 episodes;
# BENCH_SCALE=10: 50,000 / 2,500,000) unless it is already there; ~10 minutes the first time
# (scale 10 on 2 cores shared with other work: 68 minutes for the shows and episodes, most of it
# the episodes' search vectors and index builds, then the people's figures, about 20 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/browse_bench}
name=${url##*/}
scale=${BENCH_SCALE:-1}
if ! psql "$url" -Atc "SELECT count(*) FROM shows_show" 2>/dev/null | grep -qx $((5000 * scale)); then
  echo "Loading the bench catalogue into $name (about 10 minutes)"
  createdb --maintenance-db="${url%/*}/postgres" "$name" 2>/dev/null || true
  DATABASE_URL=$url .venv/bin/python manage.py migrate --no-input -v 0
  DATABASE_URL=$url .venv/bin/python bench/catalogue.py --scale "$scale"
else
  DATABASE_URL=$url .venv/bin/python manage.py migrate --no-input -v 0
fi
# A catalogue loaded before the people pages existed gets its people (about 5 minutes).
if [ "$(psql "$url" -Atc "SELECT count(*) FROM people_person WHERE slug LIKE 'bench-person-%'")" = 0 ]; then
  echo "Adding the bench people to $name"
  DATABASE_URL=$url .venv/bin/python bench/catalogue.py --people-only --scale "$scale"
fi
