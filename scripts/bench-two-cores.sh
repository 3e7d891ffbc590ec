#!/usr/bin/env bash
# Issue 18's headroom figure on a machine with cores to spare: the bot pinned to two cores of its
# own (0,1), the generator and its emulators on all the others; 1,000 learners × 5 voice turns at
# once on SQLite, three runs, then the same with the bot on one core for the scaling. Prints each
# run's first line, the bot's and the generator's CPU lines and the verdict.
# Usage: scripts/bench-two-cores.sh [BIN_DIR] [OUT_DIR]
#   BIN_DIR holds mluvme and mluvme-load (default target/release; for the device machine, build
#   here, `strip` copies into target/device and carry that folder); OUT_DIR gets every full
#   report (default: a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/release}")
out=${2:-$(mktemp -d)}
mkdir -p "$out"
cores=$(nproc)
if [ "$cores" -lt 4 ]; then
  echo "needs at least 4 cores (2 for the bot, the rest for the generator); this machine has $cores" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\nexec taskset -c "$BOT_CPUS" "%s/mluvme" "$@"\n' "$bin" > "$work/pin.sh"
chmod +x "$work/pin.sh"
run() { # run NAME BOT_CPUS
  rm -rf "$work/db" "$work/audio" && mkdir -p "$work/db"
  BOT_CPUS=$2 taskset -c "2-$((cores - 1))" "$bin/mluvme-load" --bot "$work/pin.sh" \
    --users 1000 --turns 5 --mix 100,0,0,0 --quiet \
    --database-url "sqlite://$work/db/h.db?mode=rwc" --bot-env "AUDIO_DIR=$work/audio" \
    > "$out/$1.txt" 2>&1 || true
  echo "== $1 (bot on CPU $2, generator on 2-$((cores - 1)))"
  head -1 "$out/$1.txt"
  grep -E '^(bot:|generator|correctness|VIOLATIONS)' "$out/$1.txt" || tail -5 "$out/$1.txt"
}
echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); database and audio on $(stat -f -c %T "$work")"
for i in 1 2 3; do run "two-cores-$i" 0,1; done
for i in 1 2; do run "one-core-$i" 0; done
