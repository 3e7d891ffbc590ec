#!/usr/bin/env bash
# The BENCHMARKS.md "Several replicas" runs: 1,000 learners × 5 voice turns against N replicas in
# webhook mode on a fresh PostgreSQL database and an emptied Redis (both on loopback).
# Usage: scripts/bench-replicas.sh PG_BASE_URL REDIS_URL REPLICAS [extra mluvme-load args]
#   e.g. scripts/bench-replicas.sh postgres://postgres@127.0.0.1:5432 redis://127.0.0.1:6379 2 \
#          --think-ms 5000-10000 --spawn-rate 100
set -euo pipefail
cd "$(dirname "$0")/.."
pg=$1 redis=$2 replicas=$3
shift 3
db="bench_$(date +%s)"
redis-cli -u "$redis" FLUSHALL >/dev/null
psql -q "$pg/postgres" -c "CREATE DATABASE $db"
target/release/mluvme-load --users 1000 --turns 5 --mix 100,0,0,0 --webhook --replicas "$replicas" \
  --database-url "$pg/$db" --bot-env "REDIS_URL=$redis" --quiet "$@"
psql -q "$pg/postgres" -c "DROP DATABASE $db"
