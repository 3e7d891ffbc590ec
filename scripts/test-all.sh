#!/usr/bin/env bash
# Runs the whole test suite on a new machine: installs PostgreSQL and Redis when missing, starts
# throwaway instances on 127.0.0.1 (removed on exit), and runs every workspace test against
# SQLite, PostgreSQL and Redis. Usage: scripts/test-all.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  return 1
}

if ! PGBIN=$(pg_bin); then
  echo "== installing PostgreSQL (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
  PGBIN=$(pg_bin)
fi

PGDIR=$(mktemp -d /tmp/mluvme-pg.XXXXXX)
# A free loopback port, unless one is given.
PGPORT=${PGPORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)}
chown postgres:postgres "$PGDIR" 2>/dev/null || true
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
REDIS_PID=
cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

echo "== starting a throwaway PostgreSQL on 127.0.0.1:$PGPORT"
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync >/dev/null
if ! as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=off -c max_connections=200" -w -l "$PGDIR/log" start >/dev/null; then
  echo "PostgreSQL did not start; its log:"; cat "$PGDIR/log"; exit 1
fi
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"

# Redis: the shared one for most Redis tests (TEST_REDIS_URL); the tests that stop Redis start
# their own redis-server, so it must be on the PATH too.
if ! command -v redis-server >/dev/null; then
  echo "== installing Redis (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq redis-server >/dev/null
fi
REDISPORT=${REDISPORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 56379)}
echo "== starting a throwaway Redis on 127.0.0.1:$REDISPORT"
redis-server --port "$REDISPORT" --bind 127.0.0.1 --save '' --appendonly no --dir /tmp >/dev/null &
REDIS_PID=$!
for _ in $(seq 50); do redis-cli -p "$REDISPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$REDISPORT" ping >/dev/null || { echo "Redis did not start"; exit 1; }
export TEST_REDIS_URL="redis://127.0.0.1:$REDISPORT"

# The house rules first: they fail in seconds, the suite takes minutes.
echo "== cargo fmt --check, cargo clippy -D warnings, cargo doc -D warnings"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# The doc comments say why; a link in them that leads nowhere fails like a lint.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

echo "== cargo test (SQLite + PostgreSQL + Redis)"
cargo test --workspace "$@"

# The conversations again, every one on PostgreSQL (the production database) and against minimal
# OpenAI-compatible servers, unless the caller picked tests of their own.
if [ "$#" -eq 0 ]; then
  echo "== the bot suite again, on PostgreSQL (TEST_DB=postgres)"
  TEST_DB=postgres cargo test -p mluvme --test bot
  # And against the minimal OpenAI-compatible shapes self-hosted servers answer (no `usage`, no
  # verbose_json, no structured outputs): every conversation must work with those too.
  echo "== the bot suite again, against minimal OpenAI-compatible servers (EMULATOR_SHAPES=minimal)"
  EMULATOR_SHAPES=minimal cargo test -p mluvme --test bot
fi
