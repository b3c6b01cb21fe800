#!/usr/bin/env bash
# bench/redis.sh: roadie's Redis source against redis-cli --rdb, one run.
#
# Starts two throwaway redis-servers on free ports (never 6379): a source
# filled with BENCH_KEYS keys (default 1,000,000) and an empty target. The
# dataset (BENCH_DATASET):
#   sessions (default): what a cache or session store holds: 94% strings of
#     session-like JSON (200-400 bytes: random ids and tokens, timestamps, a
#     user agent, a small cart), 3% hashes (user profiles, 8 fields), 1% lists
#     (20 recent events), 1% sets (12 tags), 1% sorted sets (20 scored
#     members); an RDB of roughly 300 MiB;
#   populate: DEBUG POPULATE strings of 100 bytes ("value:N" and zero
#     padding) plus 10,000 hashes and 10,000 lists: an RDB of 34 MiB, almost
#     all of it padding that LZF removes, so it mostly measures fixed costs.
# Measures:
#   1. backup wall time: `redis-cli --rdb FILE` vs `roadie backup redis`
#      (best of 3 each; roadie's includes JVM start-up and the commit);
#   2. online restore rate: `roadie restore --to` into the empty target
#      (keys/s as roadie reports it, and over the whole command), then
#      checks DEBUG DIGEST equality;
#   3. dedup: 1% of the keys rewritten at random, a second backup, its added
#      bytes as a % of the first's (changed chunks are stored as deltas against
#      the first backup's), and the second backup's wall time, for average RDB
#      chunk sizes of 64 (the default), 32, 16 and 8 KiB (--chunk-size);
#      with the default, the second snapshot is restored online (time, digest).
# Prints a table with PASS/MISS against the goals (backup <= 1.2x redis-cli,
# restore >= 150,000 keys/s, second backup <= 10%).
# Environment: BENCH_DIR (default /tmp/roadie-bench-redis, removed unless
# KEEP=1), BENCH_KEYS, BENCH_DATASET. Exit status: 0 if every step worked.
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"

BENCH_DIR=${BENCH_DIR:-/tmp/roadie-bench-redis}
BENCH_KEYS=${BENCH_KEYS:-1000000}
BENCH_DATASET=${BENCH_DATASET:-sessions}
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
log "filling redis on port $src with $BENCH_KEYS keys ($BENCH_DATASET)"
case $BENCH_DATASET in
populate)
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
  ;;
sessions)
  python3 - "$BENCH_KEYS" <<'PY' | redis-cli -p "$src" --pipe >/dev/null
import random, sys
n = int(sys.argv[1]); rnd = random.Random(7)
parts = []
def cmd(*a):
    parts.append("*%d\r\n" % len(a))
    for x in a:
        x = str(x)
        parts.append("$%d\r\n%s\r\n" % (len(x), x))  # ASCII only: len is the byte count
    if len(parts) > 20000:
        sys.stdout.write("".join(parts)); parts.clear()
agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
          "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
          "okhttp/4.12.0", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15"]
pages = ["/", "/cart", "/checkout", "/search", "/account", "/orders", "/product"]
tags = ["new", "vip", "churn-risk", "newsletter", "beta", "mobile", "desktop", "eu", "us", "apac", "b2b", "trial",
        "paid", "annual", "monthly", "referral", "support", "admin"]
t0 = 1732400000
hashes, lists, sets, zsets = n * 3 // 100, n // 100, n // 100, n // 100
strings = n - hashes - lists - sets - zsets
for i in range(strings):
    uid = rnd.randrange(1, 5000000)
    cart = ",".join('{"sku":"SKU-%05d","qty":%d,"price":%d.%02d}' % (rnd.randrange(100000), rnd.randrange(1, 4),
                    rnd.randrange(1, 300), rnd.randrange(100)) for _ in range(rnd.randrange(0, 3)))
    created = t0 + rnd.randrange(86400 * 7)
    v = ('{"sid":"%032x","user_id":%d,"created":%d,"last_seen":%d,"ip":"%d.%d.%d.%d","ua":"%s",'
         '"page":"%s","cart":[%s],"locale":"%s","csrf":"%024x"}') % (
        rnd.getrandbits(128), uid, created, created + rnd.randrange(3600), rnd.randrange(1, 224), rnd.randrange(256),
        rnd.randrange(256), rnd.randrange(1, 255), rnd.choice(agents), rnd.choice(pages), cart,
        rnd.choice(["en-US", "de-DE", "fr-FR", "ja-JP"]), rnd.getrandbits(96))
    cmd("SET", "session:%032x" % rnd.getrandbits(128), v)
for i in range(hashes):
    cmd("HSET", "user:%d" % i, "name", "user%d" % i, "email", "user%d@example.org" % i, "plan",
        rnd.choice(["free", "pro", "team"]), "created", t0 - rnd.randrange(10**8), "visits", rnd.randrange(10000),
        "country", rnd.choice(["DE", "US", "FR", "JP", "BR"]), "verified", rnd.randrange(2), "score", rnd.random())
for i in range(lists):
    cmd("RPUSH", "events:%d" % i, *("%s %d %s" % (rnd.choice(pages), t0 + rnd.randrange(10**6), rnd.choice(["view", "click", "buy"]))
                                 for _ in range(20)))
for i in range(sets):
    cmd("SADD", "tags:%d" % i, *rnd.sample(tags, 12))
for i in range(zsets):
    args = []
    for j in range(20):
        args += ["%.3f" % (rnd.random() * 1000), "player:%d" % rnd.randrange(10**6)]
    cmd("ZADD", "board:%d" % i, *args)
sys.stdout.write("".join(parts))
PY
  ;;
*) echo "bench: BENCH_DATASET must be sessions or populate, not $BENCH_DATASET" >&2; exit 2 ;;
esac
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
  a1=$(ROADIE_REPOSITORY=$repo "$roadie" backup redis --url "redis://127.0.0.1:$src" --chunk-size "$chunks" --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["bytesAdded"])') || ok=0
  python3 - "$keys" <<'PY' | redis-cli -p "$src" --pipe >/dev/null
import random, sys
n = int(sys.argv[1]); rnd = random.Random(1)
for i in rnd.sample(range(n), n // 100):
    k = "key:%d" % i; v = "changed-%d-%s" % (i, "x" * 80)
    sys.stdout.write("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PY
  t0=$(now)
  a2=$(ROADIE_REPOSITORY=$repo "$roadie" backup redis --url "redis://127.0.0.1:$src" --chunk-size "$chunks" --json \
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
echo "redis bench: $keys keys ($BENCH_DATASET), RDB $((rdb_bytes / 1048576)) MiB, $(nproc) CPUs, $(redis-server --version | awk '{print $3}'), load $(cut -d' ' -f1-3 /proc/loadavg)"
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
