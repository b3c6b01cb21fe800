#!/usr/bin/env bash
# bench/redis.sh: roadie's Redis source against redis-cli --rdb, one run.
#
# Starts two throwaway redis-servers on free ports (never 6379): a source
# filled with BENCH_KEYS keys (default 1,000,000: DEBUG POPULATE strings plus
# 10,000 hashes and 10,000 lists written with redis-cli --pipe) and an empty
# target. Measures:
#   1. backup wall time: `redis-cli --rdb FILE` vs `roadie backup redis`
#      (best of 3 each; roadie's includes JVM start-up and the commit);
#   2. online restore rate: `roadie restore --to` into the empty target
#      (keys/s as roadie reports it, and over the whole command), then
#      checks DEBUG DIGEST equality;
#   3. dedup: 1% of the keys rewritten at random, a second backup, its added
#      bytes as a % of the first's (changed chunks are stored as deltas against
#      the first backup's), and the second backup's wall time, for average RDB
#      chunk sizes of 64 (the default), 32, 16 and 8 KiB (ROADIE_REDIS_CHUNK_AVG);
#      with the default, the second snapshot is restored online (time, digest).
# Prints a table with PASS/MISS against the goals (backup <= 1.2x redis-cli,
# restore >= 150,000 keys/s, second backup <= 10%).
# Environment: BENCH_DIR (default /tmp/roadie-bench-redis, removed unless
# KEEP=1), BENCH_KEYS. Exit status: 0 if every step worked.
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"

BENCH_DIR=${BENCH_DIR:-/tmp/roadie-bench-redis}
BENCH_KEYS=${BENCH_KEYS:-1000000}
KEEP=${KEEP:-0}
roadie=$root/roadie

# shellcheck source=lib.sh
. "$root/bench/lib.sh"

roadie_apt_install redis-server redis-tools python3
for tool in redis-server redis-cli python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing" >&2; exit 1; }
done

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ "$KEEP" = 1 ] || rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

start_server() { # DIR -> sets $port (not in a subshell, so cleanup knows the pid)
  local dir=$1
  port=$(free_port)
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --enable-debug-command yes \
    --dir "$dir" --repl-diskless-sync-delay 0 --logfile "$dir/redis.log" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
now() { date +%s.%N; }
best_of_3() { # command... -> prints best wall seconds
  local best="" t0 t1 d
  for _ in 1 2 3; do
    t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
    d=$(python3 -c "print($t1-$t0)")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $d < $best else 1)"; then best=$d; fi
  done
  echo "$best"
}

start_server "$BENCH_DIR/src"; src=$port
start_server "$BENCH_DIR/dst"; dst=$port
log "filling redis on port $src with $BENCH_KEYS keys"
strings=$((BENCH_KEYS - 20000))
redis-cli -p "$src" DEBUG POPULATE "$strings" key 100 >/dev/null
python3 - <<PY | redis-cli -p "$src" --pipe >/dev/null
import sys
out = sys.stdout
def cmd(*a):
    out.write("*%d\r\n" % len(a))
    for x in a:
        x = str(x)
        out.write("$%d\r\n%s\r\n" % (len(x.encode()), x))
for i in range(10000):
    cmd("HSET", "hash:%d" % i, "name", "user%d" % i, "email", "u%d@example.org" % i, "visits", i)
    cmd("RPUSH", "list:%d" % i, "a%d" % i, "b%d" % i, "c%d" % i)
PY
keys=$(redis-cli -p "$src" DBSIZE)
log "source has $keys keys, used memory $(redis-cli -p "$src" INFO memory | grep used_memory_human | tr -d '\r')"

export ROADIE_PASSWORD=bench
ok=1
log "building roadie (first run)"
"$roadie" version >/dev/null

log "backup: redis-cli --rdb vs roadie backup redis"
t_cli=$(best_of_3 redis-cli -p "$src" --rdb "$BENCH_DIR/cli.rdb")
rdb_bytes=$(stat -c %s "$BENCH_DIR/cli.rdb")
run_roadie_backup() {
  rm -rf "$BENCH_DIR/repo-t"; ROADIE_REPOSITORY=$BENCH_DIR/repo-t "$roadie" init >/dev/null
  ROADIE_REPOSITORY=$BENCH_DIR/repo-t "$roadie" backup redis --url "redis://127.0.0.1:$src"
}
best=""
for _ in 1 2 3; do
  rm -rf "$BENCH_DIR/repo-t"; ROADIE_REPOSITORY=$BENCH_DIR/repo-t "$roadie" init >/dev/null
  t0=$(now)
  ROADIE_REPOSITORY=$BENCH_DIR/repo-t "$roadie" backup redis --url "redis://127.0.0.1:$src" >/dev/null || ok=0
  t1=$(now); d=$(python3 -c "print($t1-$t0)")
  if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $d < $best else 1)"; then best=$d; fi
done
t_roadie=$best

log "online restore into an empty server"
t0=$(now)
restore_out=$(ROADIE_REPOSITORY=$BENCH_DIR/repo-t "$roadie" restore latest --to "redis://127.0.0.1:$dst") || ok=0
t1=$(now)
t_restore=$(python3 -c "print($t1-$t0)")
echo "$restore_out" >&2
rate_roadie=$(echo "$restore_out" | sed -n 's/.*(\([0-9]*\) keys\/s).*/\1/p')
rate_wall=$(python3 -c "print(int($keys/$t_restore))")
if [ "$(redis-cli -p "$src" DEBUG DIGEST)" = "$(redis-cli -p "$dst" DEBUG DIGEST)" ]; then digest=equal; else digest=DIFFERENT; ok=0; fi

log "dedup: first backup, 1% of keys rewritten, second backup"
declare -A dedup first second_time
for chunks in 65536 32768 16384 8192; do
  redis-cli -p "$src" FLUSHALL >/dev/null
  redis-cli -p "$src" DEBUG POPULATE "$keys" key 100 >/dev/null
  repo=$BENCH_DIR/repo-$chunks
  ROADIE_REPOSITORY=$repo "$roadie" init >/dev/null
  a1=$(ROADIE_REDIS_CHUNK_AVG=$chunks ROADIE_REPOSITORY=$repo "$roadie" backup redis --url "redis://127.0.0.1:$src" --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["bytesAdded"])') || ok=0
  python3 - "$keys" <<'PY' | redis-cli -p "$src" --pipe >/dev/null
import random, sys
n = int(sys.argv[1]); rnd = random.Random(1)
for i in rnd.sample(range(n), n // 100):
    k = "key:%d" % i; v = "changed-%d-%s" % (i, "x" * 80)
    sys.stdout.write("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PY
  t0=$(now)
  a2=$(ROADIE_REDIS_CHUNK_AVG=$chunks ROADIE_REPOSITORY=$repo "$roadie" backup redis --url "redis://127.0.0.1:$src" --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["bytesAdded"])') || ok=0
  t1=$(now); second_time[$chunks]=$(python3 -c "print('%.2f' % ($t1-$t0))")
  if [ "$chunks" = 65536 ]; then
    t0=$(now)
    ROADIE_REPOSITORY=$repo "$roadie" restore latest --to "redis://127.0.0.1:$dst" --flush >/dev/null || ok=0
    t1=$(now); t_restore2=$(python3 -c "print('%.2f' % ($t1-$t0))")
    if [ "$(redis-cli -p "$src" DEBUG DIGEST)" = "$(redis-cli -p "$dst" DEBUG DIGEST)" ]; then digest2=equal; else digest2=DIFFERENT; ok=0; fi
  fi
  dedup[$chunks]=$(python3 -c "print('%.1f' % (100.0*$a2/$a1))")
  first[$chunks]=$(python3 -c "print('%.2f' % ($a1/1048576))")
  log "$chunks: first added $a1 bytes, second $a2 bytes (${dedup[$chunks]}%)"
done

verdict() { python3 -c "print('PASS' if $1 else 'MISS')"; }
echo
echo "redis bench: $keys keys, RDB $((rdb_bytes / 1048576)) MiB, $(nproc) CPUs, $(redis-server --version | awk '{print $3}')"
printf '%-44s %12s %s\n' "measure" "value" "goal"
printf '%-44s %11.2fs\n' "redis-cli --rdb (best of 3)" "$t_cli"
printf '%-44s %11.2fs\n' "roadie backup redis (best of 3, with JVM)" "$t_roadie"
ratio=$(python3 -c "print('%.2f' % ($t_roadie/$t_cli))")
printf '%-44s %11sx <= 1.2x %s\n' "backup ratio roadie / redis-cli" "$ratio" "$(verdict "$ratio <= 1.2")"
printf '%-44s %12s >= 150000 %s\n' "online restore keys/s (roadie's count)" "${rate_roadie:-?}" "$(verdict "${rate_roadie:-0} >= 150000")"
printf '%-44s %12s (%.1fs, digest %s)\n' "online restore keys/s (whole command)" "$rate_wall" "$t_restore" "$digest"
for chunks in 65536 32768 16384 8192; do
  label="2nd backup after 1% changed, $((chunks / 1024)) KiB chunks"
  [ "$chunks" = 65536 ] && label="$label*"
  printf '%-44s %11s%% <= 10%% %s (first %s MiB, second backup %ss)\n' "$label" "${dedup[$chunks]}" \
    "$(verdict "${dedup[$chunks]} <= 10")" "${first[$chunks]}" "${second_time[$chunks]}"
done
printf '%-44s %11ss (digest %s)\n' "online restore of the 2nd (delta) snapshot" "$t_restore2" "$digest2"
echo "* the default RDB chunk size"
[ "$ok" = 1 ]
