#!/usr/bin/env bash
# bench/postgres-wal-stream.sh: the recovery point of `roadie wal-stream`: how long
# after a COMMIT returns to the client its WAL is durable in the repository.
#
# It starts a throwaway cluster (initdb in BENCH_DIR on a free port; never the
# server on 5432), a local repository and `roadie wal-stream` against it, puts
# a pgbench load on the cluster (BENCH_CLIENTS clients, default 2), and then,
# BENCH_COMMITS times (default 30), commits one row from another session, reads
# pg_current_wal_flush_lsn() and waits until the receiver reports that position
# as flushed in pg_stat_replication (wal-stream confirms a position only once it
# is stored in the repository). The time from COMMIT returning to that is the
# streaming RPO; it prints its median, 90th percentile and maximum against the
# goal (at most 2 s), and the same idle (no load).
#
# Poll resolution is one psql call (~10-20 ms). Environment: BENCH_DIR (default
# /tmp/roadie-walstream, removed at the end unless KEEP=1), BENCH_COMMITS,
# BENCH_CLIENTS, FLUSH_INTERVAL (wal-stream's --flush-interval, default its own).
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
# shellcheck source=lib.sh
. "$root/bench/lib.sh"
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"

BENCH_DIR=${BENCH_DIR:-/tmp/roadie-walstream}
BENCH_COMMITS=${BENCH_COMMITS:-30}
BENCH_CLIENTS=${BENCH_CLIENTS:-2}
KEEP=${KEEP:-0}
roadie=$root/roadie

roadie_apt_install postgresql time
find_pgbin

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res" "$BENCH_DIR/pg"
port=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=bench-pw
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$BENCH_DIR/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  if [[ $KEEP == 1 ]]; then echo "bench: kept $BENCH_DIR" >&2; else rm -rf "$BENCH_DIR"; fi
}
trap cleanup EXIT
cd "$BENCH_DIR"

log "building roadie"
"$roadie" version >&2

log "starting a cluster on port $port ($pgbin)"
echo "$PGPASSWORD" >"$BENCH_DIR/pg/pw"
[[ $(id -u) == 0 ]] && chown -R postgres "$BENCH_DIR/pg"
as_pg "$pgbin/initdb" -D "$BENCH_DIR/pg/data" -U postgres --pwfile="$BENCH_DIR/pg/pw" --auth-host=scram-sha-256 \
  --auth-local=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$BENCH_DIR/pg/data" -l "$BENCH_DIR/pg/log" -w start -o \
  "-p $port -k $BENCH_DIR/pg -c listen_addresses=127.0.0.1 -c max_wal_size=4GB" >/dev/null
psql="$pgbin/psql -X -q -t -A -v ON_ERROR_STOP=1 -d postgres"
$psql -c "CREATE TABLE marks (id serial PRIMARY KEY, at timestamptz DEFAULT now())"
"$pgbin/pgbench" -i -s 10 -q postgres >/dev/null 2>&1

export ROADIE_REPOSITORY=$BENCH_DIR/repo ROADIE_PASSWORD=bench
"$roadie" init >&2
args=(wal-stream --url "postgresql://postgres@127.0.0.1:$port/postgres" --slot bench)
[[ -n ${FLUSH_INTERVAL:-} ]] && args+=(--flush-interval "$FLUSH_INTERVAL")
"$roadie" "${args[@]}" 2>"$BENCH_DIR/wal-stream.log" &
pids+=($!)
for _ in $(seq 200); do
  [[ $($psql -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'roadie'") == 1 ]] && break
  sleep 0.1
done

# rpo NAME: BENCH_COMMITS commits, one line of milliseconds each in res/NAME.ms
rpo() {
  local name=$1 i lsn t0 t1 ok
  : >"res/$name.ms"
  for i in $(seq "$BENCH_COMMITS"); do
    lsn=$($psql -c "INSERT INTO marks DEFAULT VALUES" -c "SELECT pg_current_wal_flush_lsn()")
    t0=$(date +%s%N)
    ok=0
    for _ in $(seq 3000); do
      if [[ $($psql -c "SELECT flush_lsn >= '$lsn' FROM pg_stat_replication WHERE application_name = 'roadie'") == t ]]; then
        ok=1
        break
      fi
    done
    t1=$(date +%s%N)
    [[ $ok == 1 ]] || { echo "bench: $lsn never became durable" >&2; tail "$BENCH_DIR/wal-stream.log" >&2; exit 1; }
    echo $(((t1 - t0) / 1000000)) >>"res/$name.ms"
    sleep 0.$((RANDOM % 9 + 1))
  done
}

log "idle: $BENCH_COMMITS commits"
rpo idle
log "under pgbench load ($BENCH_CLIENTS clients): $BENCH_COMMITS commits"
"$pgbin/pgbench" -c "$BENCH_CLIENTS" -T 600 -n postgres >/dev/null 2>&1 &
load=$!
pids+=($load)
sleep 2
rpo load
kill $load 2>/dev/null || true
segments=$(grep -c 'archived 0' "$BENCH_DIR/wal-stream.log" || true)

python3 - "$BENCH_DIR/res/idle.ms" "$BENCH_DIR/res/load.ms" "$segments" <<'EOF'
import statistics, sys
def stats(path):
    v = sorted(int(x) for x in open(path))
    return statistics.median(v), v[int(len(v) * 0.9) - 1], v[-1]
print()
print("wal-stream recovery point: COMMIT returned -> its WAL durable in the repository (ms)")
print("%-22s %8s %8s %8s" % ("", "median", "p90", "max"))
worst = 0
for name, path in (("idle", sys.argv[1]), ("pgbench load", sys.argv[2])):
    m, p, x = stats(path)
    worst = max(worst, x)
    print("%-22s %8d %8d %8d" % (name, m, p, x))
print("segments archived whole by the receiver during the run: %s" % sys.argv[3])
print()
print("%-40s %6.2f s  goal <= 2 s  %s" % ("worst streaming RPO", worst / 1000, "PASS" if worst <= 2000 else "MISS"))
EOF
