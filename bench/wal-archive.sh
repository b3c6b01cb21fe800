#!/usr/bin/env bash
# bench/wal-archive.sh: asynchronous WAL archiving, roadie against pgBackRest, one run.
#
# It starts a throwaway cluster (initdb in BENCH_DIR, a free port; never the server on 5432),
# writes WAL with `pgbench -i -s SCALE` (default 100: about 78 segments) and keeps it (wal_keep_size), then copies
# WAL_SEGMENTS (default 64) of those real segments into a stand-in data directory per tool, marks
# them all ready at once and calls archive_command once per segment, in order, as PostgreSQL's
# archiver does (renaming .ready to .done after each success). Each call's wall time is recorded.
#   roadie wal-push --async            the archiver started by the first call (no agent)
#   roadie wal-push --async, warm      an archiver already running when the segments become
#                                      ready (`wal-push --archiver`, as the agent runs one)
#   pgbackrest archive-push --archive-async   (process-max = cores, compress-type = zst)
# and prints segments per second (all acknowledged, i.e. durable in the repository), the p50, p99
# and largest archive_command latency, and ratios against the goals (throughput >= 1.0x
# pgBackRest async, p99 <= 20 ms).
#
# Environment: BENCH_DIR (default /tmp/roadie-walbench, removed at the end unless KEEP=1), SCALE,
# WAL_SEGMENTS. Runs as root (the cluster, roadie and pgbackrest run as postgres through runuser).
# Run it under the shared lock: flock /tmp/roadie-bench.lock bench/wal-archive.sh
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
# shellcheck source=lib.sh
. "$root/bench/lib.sh"
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"

BENCH_DIR=${BENCH_DIR:-/tmp/roadie-walbench}
SCALE=${SCALE:-100}
WAL_SEGMENTS=${WAL_SEGMENTS:-64}
KEEP=${KEEP:-0}
roadie=$root/roadie
cores=$(nproc)

[[ $(id -u) == 0 ]] || { echo "bench: run as root (the cluster, roadie and pgbackrest run as postgres through runuser)" >&2; exit 1; }
roadie_apt_install postgresql pgbackrest time
find_pgbin

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res" "$BENCH_DIR/pg" "$BENCH_DIR/pgbackrest" "$BENCH_DIR/spool"
port=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=bench-pw
data=$BENCH_DIR/pg/data
warm_pid=
cleanup() {
  [[ -n $warm_pid ]] && kill "$warm_pid" 2>/dev/null || true
  # Archivers the first calls started (their pid is in the heartbeat file).
  for f in "$BENCH_DIR"/walbench-*/pg_wal/roadie/*/async/archiver.alive; do
    [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
  done
  [[ -f $data/postmaster.pid ]] && as_pg "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  if [[ $KEEP == 1 ]]; then echo "bench: kept $BENCH_DIR" >&2; else rm -rf "$BENCH_DIR"; fi
}
trap cleanup EXIT
cd "$BENCH_DIR"

log "building roadie"
"$roadie" version >&2

echo bench-repo-pw >"$BENCH_DIR/password"
export ROADIE_PASSWORD_FILE=$BENCH_DIR/password
for r in async warm; do ROADIE_REPOSITORY=$BENCH_DIR/repo-$r "$roadie" init >/dev/null; done
cat >"$BENCH_DIR/pgbackrest.conf" <<EOF
[global]
repo1-path=$BENCH_DIR/pgbackrest
compress-type=zst
process-max=$cores
log-level-console=warn
log-path=$BENCH_DIR/pgbackrest
spool-path=$BENCH_DIR/spool
lock-path=$BENCH_DIR/spool

[bench]
pg1-path=$data
pg1-port=$port
pg1-socket-path=$BENCH_DIR/pg
EOF
echo "$PGPASSWORD" >"$BENCH_DIR/pg/pw"
chown -R postgres "$BENCH_DIR"
chmod 600 "$ROADIE_PASSWORD_FILE"
pgbr=(pgbackrest --config="$BENCH_DIR/pgbackrest.conf" --stanza=bench)

log "starting a cluster on port $port ($pgbin)"
as_pg "$pgbin/initdb" -D "$data" -U postgres --pwfile="$BENCH_DIR/pg/pw" --auth-host=scram-sha-256 \
  --auth-local=trust -E UTF8 --locale=C.UTF-8 >/dev/null
cat >>"$data/postgresql.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BENCH_DIR/pg'
max_wal_size = 4GB
wal_keep_size = 4GB
wal_level = replica
archive_mode = off
EOF
as_pg "$pgbin/pg_ctl" -D "$data" -l "$BENCH_DIR/pg/log" -w start >/dev/null
as_pg "${pgbr[@]}" stanza-create
log "pgbench -i -s $SCALE (WAL to archive)"
"$pgbin/pgbench" -i -s "$SCALE" -q postgres >/dev/null 2>&1
"$pgbin/psql" -X -q -d postgres -c "SELECT pg_switch_wal()" >/dev/null
have=$(ls "$data/pg_wal" | grep -cE '^[0-9A-F]{24}$')
((have >= WAL_SEGMENTS)) || { echo "bench: only $have segments in pg_wal; raise SCALE" >&2; exit 1; }

# walbench NAME TIMELINE BEFORE CMD...: WAL_SEGMENTS segments renamed onto TIMELINE, in
# walbench-NAME/pg_wal; runs BEFORE (a shell snippet, e.g. starting a warm archiver) as postgres,
# marks every segment ready, then calls CMD once per segment (the segment's path appended) and
# renames .ready to .done after each success. Records each call's latency in NAME.lat (ms).
walbench() {
  local name=$1 tl=$2 before=$3
  shift 3
  local d=$BENCH_DIR/walbench-$name i=0 f
  mkdir -p "$d/pg_wal/archive_status" "$d/global"
  cp "$data/global/pg_control" "$d/global/"
  for f in $(ls "$data/pg_wal" | grep -E '^[0-9A-F]{24}$' | head -n "$WAL_SEGMENTS"); do
    cp "$data/pg_wal/$f" "$d/pg_wal/$(printf '%08X%016X' "$tl" $((0x100 + i)))"
    i=$((i + 1))
  done
  chown -R postgres "$d"
  cat >"$d/run.sh" <<EOF
set -e
cd $d
$before
for f in \$(ls pg_wal | grep -E '^[0-9A-F]{24}\$'); do touch pg_wal/archive_status/\$f.ready; done
start=\$(date +%s%N)
for f in \$(ls pg_wal | grep -E '^[0-9A-F]{24}\$'); do
  t0=\$(date +%s%N)
  $* pg_wal/\$f
  t1=\$(date +%s%N)
  echo \$(( (t1 - t0) / 1000 )) >>$BENCH_DIR/res/$name.lat
  mv pg_wal/archive_status/\$f.ready pg_wal/archive_status/\$f.done
done
end=\$(date +%s%N)
echo \$(( (end - start) / 1000 )) >$BENCH_DIR/res/$name.total
EOF
  chown postgres "$d/run.sh" "$BENCH_DIR/res"
  log "$name: $WAL_SEGMENTS segments"
  runuser -u postgres -- bash "$d/run.sh" 2>"$BENCH_DIR/res/$name.err" || { echo "bench: $name failed:" >&2; tail "$BENCH_DIR/res/$name.err" >&2; failed=1; }
  put "$name.n" "$i"
}
failed=0
renv="ROADIE_REPOSITORY=$BENCH_DIR/repo-async ROADIE_PASSWORD_FILE=$ROADIE_PASSWORD_FILE"
walbench roadie_async 20 ":" env $renv "$roadie" wal-push --async
wenv="ROADIE_REPOSITORY=$BENCH_DIR/repo-warm ROADIE_PASSWORD_FILE=$ROADIE_PASSWORD_FILE"
# The warm archiver: started before the segments become ready, waited for until it is alive.
warm="env $wenv setsid $roadie wal-push --archiver --pgdata $BENCH_DIR/walbench-roadie_warm --linger 0 </dev/null >$BENCH_DIR/res/warm.log 2>&1 &
echo \$! >$BENCH_DIR/res/warm.pid
until ls pg_wal/roadie/*/async/archiver.alive >/dev/null 2>&1; do sleep 0.05; done"
walbench roadie_warm 21 "$warm" env $wenv "$roadie" wal-push --async
warm_pid=$(cat "$BENCH_DIR/res/warm.pid" 2>/dev/null || true)
walbench pgbr_async 22 ":" pgbackrest --config="$BENCH_DIR/pgbackrest.conf" --stanza=bench \
  --pg1-path="$BENCH_DIR/walbench-pgbr_async" --archive-async archive-push

python3 - "$BENCH_DIR/res" "$cores" <<'EOF'
import os, sys
res, cores = sys.argv[1], sys.argv[2]
def lat(n):
    try: return sorted(int(x) / 1000.0 for x in open(os.path.join(res, n + ".lat")).read().split())
    except Exception: return []
def pct(v, p): return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else None
def total(n):
    try: return int(open(os.path.join(res, n + ".total")).read()) / 1e6
    except Exception: return None
ms = lambda x: "-" if x is None else "%.1f ms" % x
rows = [("roadie_async", "roadie wal-push --async (archiver started by the first call)"),
        ("roadie_warm", "roadie wal-push --async, archiver already running"),
        ("pgbr_async", "pgbackrest archive-push --archive-async")]
print("\nWAL archiving, one archive_command call per segment, %s cores\n" % cores)
print("%-62s %9s %10s %10s %10s %10s" % ("", "seg/s", "p50", "p99", "max", "total"))
rate = {}
for n, label in rows:
    v, t = lat(n), total(n)
    rate[n] = len(v) / t if v and t else None
    print("%-62s %9s %10s %10s %10s %10s" % (label, "-" if rate[n] is None else "%.1f" % rate[n], ms(pct(v, 50)), ms(pct(v, 99)),
          ms(v[-1] if v else None), "-" if t is None else "%.2f s" % t))
r = lambda a, b: "-" if not a or not b else "%.2fx" % (a / b)
print("\ngoals:")
print("  roadie --async seg/s / pgbackrest async        %s (goal >= 1.00x)" % r(rate["roadie_async"], rate["pgbr_async"]))
print("  roadie --async (warm) seg/s / pgbackrest async %s (goal >= 1.00x)" % r(rate["roadie_warm"], rate["pgbr_async"]))
print("  roadie --async p99 archive_command             %s (goal <= 20 ms)" % ms(pct(lat("roadie_async"), 99)))
print("  roadie --async (warm) p99 archive_command      %s (goal <= 20 ms)" % ms(pct(lat("roadie_warm"), 99)))
EOF
exit $failed
