#!/usr/bin/env bash
# bench/postgres-physical.sh: roadie's PostgreSQL physical backup, restore and
# WAL archiving side by side with pgBackRest and pg_basebackup, one run.
#
# It starts a throwaway cluster (initdb in BENCH_DIR, a free port; never the
# server on 5432) that archives every WAL segment with both tools
# (archive_command = 'roadie wal-push %p && pgbackrest archive-push %p', so
# both backups are consistent and pay the same archiving load), fills it with
# `pgbench -i -s SCALE` (default 70: about 1.05 GiB), then measures wall time,
# stored size and roadie's peak RSS of:
#   roadie backup postgres --physical          vs pgbackrest backup --type=full
#                                                 (compress-type=zst, process-max=cores)
#                                               and pg_basebackup -Ft -z
#   a busy day: pgbench -c 4 for BUSY_SECONDS (default 60); BUSY=uniform runs
#     pgbench's own TPC-B-like script (every account equally likely: nearly
#     every page of pgbench_accounts changes), BUSY=skewed (default) the same
#     transaction with the account drawn by random_exponential (recent/hot
#     accounts far more likely, as in most OLTP tables); the share of pages
#     the day changed is printed (from the second backup's page-LSN counts)
#   roadie backup postgres --physical (second) vs pgbackrest backup --type=incr
#   roadie restore --pgdata                     vs pgbackrest restore (process-max=cores)
#   wal-push of WAL_SEGMENTS (default 32) ready segments, called once per segment
#   as PostgreSQL does         vs pgbackrest archive-push (sync, and async with
#                                 process-max=cores)
# and prints ratios against the goals. With CHUNK_SWEEP=1 it also backs up
# with fixed chunks of 64, 128 and 256 KiB (each into its own repository)
# before and after the busy day, to show what the chunk size costs.
#
# Environment: BENCH_DIR (default /tmp/roadie-physbench, removed at the end
# unless KEEP=1), SCALE, BUSY, BUSY_SECONDS, WAL_SEGMENTS, CHUNK_SWEEP,
# WAL_LOG_HINTS (on; off turns roadie's page-LSN skip off in its auto mode), READ (roadie's
# --read: auto, the default, reads the data directory locally here; stream uses pg_basebackup). Runs as root
# (the cluster and pgbackrest run as the postgres user through runuser).
# Run it under the shared lock: flock /tmp/roadie-bench.lock bench/postgres-physical.sh
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
# shellcheck source=lib.sh
. "$root/bench/lib.sh"
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"

BENCH_DIR=${BENCH_DIR:-/tmp/roadie-physbench}
SCALE=${SCALE:-70}
BUSY_SECONDS=${BUSY_SECONDS:-60}
BUSY=${BUSY:-skewed}
WAL_SEGMENTS=${WAL_SEGMENTS:-32}
CHUNK_SWEEP=${CHUNK_SWEEP:-0}
READ=${READ:-auto}
KEEP=${KEEP:-0}
roadie=$root/roadie
cores=$(nproc)

[[ $(id -u) == 0 ]] || { echo "bench: run as root (the cluster and pgbackrest run as postgres through runuser)" >&2; exit 1; }
roadie_apt_install postgresql pgbackrest time
find_pgbin

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res" "$BENCH_DIR/pg" "$BENCH_DIR/pgbackrest" "$BENCH_DIR/spool"
port=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=bench-pw
data=$BENCH_DIR/pg/data
cleanup() {
  for d in "$data" "$BENCH_DIR/restore-roadie" "$BENCH_DIR/restore-pgbackrest"; do
    [[ -f $d/postmaster.pid ]] && as_pg "$pgbin/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
  done
  if [[ $KEEP == 1 ]]; then echo "bench: kept $BENCH_DIR" >&2; else rm -rf "$BENCH_DIR"; fi
}
trap cleanup EXIT
cd "$BENCH_DIR"


log "building roadie"
"$roadie" version >&2

export ROADIE_REPOSITORY=$BENCH_DIR/repo ROADIE_PASSWORD_FILE=$BENCH_DIR/password
echo bench-repo-pw >"$ROADIE_PASSWORD_FILE"
"$roadie" init >/dev/null
cat >"$BENCH_DIR/pgbackrest.conf" <<EOF
[global]
repo1-path=$BENCH_DIR/pgbackrest
compress-type=zst
process-max=$cores
start-fast=y
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
shared_buffers = 256MB
max_wal_size = 4GB
wal_level = replica
# Hint bits WAL-logged (as with data checksums, initdb's default from PostgreSQL 18): roadie's
# page-LSN skip (--page-skip auto) then reuses the first backup's chunks byte-exactly. Both tools
# archive the extra WAL; pgBackRest has no page checksums to verify.
wal_log_hints = ${WAL_LOG_HINTS:-on}
archive_mode = on
archive_command = 'ROADIE_REPOSITORY=$ROADIE_REPOSITORY ROADIE_PASSWORD_FILE=$ROADIE_PASSWORD_FILE $roadie wal-push %p && pgbackrest --config=$BENCH_DIR/pgbackrest.conf --stanza=bench archive-push %p'
EOF
as_pg "$pgbin/pg_ctl" -D "$data" -l "$BENCH_DIR/pg/log" -w start >/dev/null
as_pg "${pgbr[@]}" stanza-create
psql="$pgbin/psql -X -q -v ON_ERROR_STOP=1"

log "pgbench -i -s $SCALE"
start=$(date +%s)
"$pgbin/pgbench" -i -s "$SCALE" -q postgres >/dev/null 2>&1
$psql -d postgres -c "CHECKPOINT" -c "SELECT pg_switch_wal()" >/dev/null
put gen.s $(($(date +%s) - start))
dbsize=$($psql -d postgres -At -c "SELECT pg_database_size('postgres')")
log "generated in $(get gen.s)s: database $((dbsize >> 20)) MiB"
url="postgresql://postgres@127.0.0.1:$port/postgres"
failed=0

# Waits until PostgreSQL has archived everything up to now (both tools), so no
# backup pays for a backlog of WAL that an earlier step produced.
drain_archive() {
  local seg last
  seg=$($psql -d postgres -At -c "SELECT pg_walfile_name(pg_switch_wal())")
  for _ in $(seq 600); do
    last=$($psql -d postgres -At -c "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
    [[ -n $last && ${last:8} > ${seg:8} || ${last:8} == "${seg:8}" ]] && return 0
    sleep 1
  done
  echo "bench: WAL archiving did not catch up" >&2
  return 1
}

repo_size() { du -sb --exclude=wal "$BENCH_DIR/repo" | cut -f1; }
pgbr_size() { du -sb "$BENCH_DIR/pgbackrest/backup" | cut -f1; }

sweep() { # sweep PHASE: one backup per chunk size, each into its own repository
  [[ $CHUNK_SWEEP == 1 ]] || return 0
  local kib
  for kib in 64 128 256; do
    local r=$BENCH_DIR/sweep-$kib
    [[ -d $r ]] || env ROADIE_REPOSITORY="$r" "$roadie" init >/dev/null
    local before=0
    [[ -f $BENCH_DIR/res/sweep-$kib.size ]] && before=$(get "sweep-$kib.size")
    measure "sweep_${kib}_$1" env ROADIE_REPOSITORY="$r" "$roadie" backup postgres --physical --read "$READ" --url "$url" \
      --chunk-size $((kib * 1024)) --wal-method fetch --target sweep || failed=1
    local now
    now=$(dusize "$r")
    put "sweep-$kib.size" "$now"
    put "sweep_${kib}_$1.added" $((now - before))
  done
}

drain_archive
measure roadie_full "$roadie" backup postgres --physical --read "$READ" --url "$url" || failed=1
put roadie_full.size "$(repo_size)"
drain_archive
measure pgbr_full runuser -u postgres -- "${pgbr[@]}" backup --type=full || failed=1
put pgbr_full.size "$(pgbr_size)"
measure basebackup_z "$pgbin/pg_basebackup" -D "$BENCH_DIR/basebackup" -Ft -z -X none -c fast || failed=1
put basebackup_z.size "$(dusize "$BENCH_DIR/basebackup")"
rm -rf "$BENCH_DIR/basebackup"
# The read floor: the tar roadie reads, thrown away (transfer only: no hashing, no storing).
measure basebackup_floor bash -c "'$pgbin/pg_basebackup' -D - -Ft -X fetch -c fast >/dev/null" || failed=1
sweep first

busy=()
if [[ $BUSY == skewed ]]; then
  # pgbench's TPC-B-like transaction, the account drawn from an exponential distribution over
  # the accounts (parameter 20: 95% of the draws fall in the first 15% of the accounts).
  cat >"$BENCH_DIR/skewed.sql" <<'EOF2'
\set aid random_exponential(1, 100000 * :scale, 20)
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
EOF2
  busy=(-f "$BENCH_DIR/skewed.sql" -s "$SCALE") # a custom script learns :scale from -s only
elif [[ $BUSY != uniform ]]; then
  echo "bench: BUSY is uniform or skewed, not $BUSY" >&2
  exit 2
fi
log "busy day ($BUSY): pgbench -c 4 -j 2 -T $BUSY_SECONDS"
"$pgbin/pgbench" -c 4 -j 2 -T "$BUSY_SECONDS" "${busy[@]}" postgres >"$BENCH_DIR/res/pgbench.out" 2>&1
grep -E '^(tps|number of transactions actually)' "$BENCH_DIR/res/pgbench.out" >&2 || true

drain_archive
measure roadie_second "$roadie" backup postgres --physical --read "$READ" --url "$url" || failed=1
put roadie_second.added $(($(repo_size) - $(get roadie_full.size)))
# The page-LSN counts of the second backup: how much of the relation data the busy day changed.
"$roadie" snapshots --json | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin) if x.get("kind") == "postgres-physical"][-1]
p = s.get("source", {}).get("pageSkip") or {}
print(p.get("pagesChanged", ""), p.get("pagesScanned", ""), p.get("chunksReused", ""), p.get("bytesReused", ""),
      p.get("filesReused", 0), p.get("fileBytesReused", 0))
print("roadie read mode:", s.get("source", {}).get("method"), file=sys.stderr)
' >"$BENCH_DIR/res/pageskip" || true
drain_archive
measure pgbr_incr runuser -u postgres -- "${pgbr[@]}" backup --type=incr || failed=1
put pgbr_incr.added $(($(pgbr_size) - $(get pgbr_full.size)))
sweep second

$psql -d postgres -c "SELECT pg_switch_wal()" >/dev/null
sleep 5
# Each restore starts from the same page-cache state: written back and clean pages dropped (as root;
# otherwise as it is). A cache full of the cluster and both repositories made the first restore's
# writes wait on page reclaim: 4.0-5.5 s against 2.9-3.1 s for the same roadie restore.
settle_cache() { sync; [[ -w /proc/sys/vm/drop_caches ]] && echo 1 >/proc/sys/vm/drop_caches; return 0; }
settle_cache
measure roadie_restore "$roadie" restore latest --kind postgres-physical --pgdata "$BENCH_DIR/restore-roadie" --jobs "$cores" || failed=1
mkdir -p "$BENCH_DIR/restore-pgbackrest" && chown postgres "$BENCH_DIR/restore-pgbackrest" && chmod 700 "$BENCH_DIR/restore-pgbackrest"
settle_cache
measure pgbr_restore runuser -u postgres -- "${pgbr[@]}" restore --pg1-path="$BENCH_DIR/restore-pgbackrest" || failed=1
# Both restored directories must start and hold the same data.
for d in restore-roadie restore-pgbackrest; do
  chown -R postgres "$BENCH_DIR/$d"
  p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  echo "archive_mode = off" >>"$BENCH_DIR/$d/postgresql.auto.conf"
  as_pg "$pgbin/pg_ctl" -D "$BENCH_DIR/$d" -l "$BENCH_DIR/$d.log" -o "-p $p" -w -t 600 start >/dev/null || { failed=1; continue; }
  for _ in $(seq 600); do
    [[ $(PGPORT=$p $psql -d postgres -At -c "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && break
    sleep 1
  done
  PGPORT=$p $psql -d postgres -At -c "SELECT count(*), sum(abalance) FROM pgbench_accounts" >"$BENCH_DIR/res/$d.check"
  as_pg "$pgbin/pg_ctl" -D "$BENCH_DIR/$d" -m fast -w stop >/dev/null
done
if ! cmp -s "$BENCH_DIR/res/restore-roadie.check" "$BENCH_DIR/res/restore-pgbackrest.check"; then
  echo "bench: the restored clusters differ: $(cat "$BENCH_DIR/res/restore-roadie.check") vs $(cat "$BENCH_DIR/res/restore-pgbackrest.check")" >&2
  failed=1
fi
rm -rf "$BENCH_DIR/restore-roadie" "$BENCH_DIR/restore-pgbackrest"

# WAL archiving throughput: WAL_SEGMENTS real segments (copied from pg_wal) on
# an unused timeline, all marked ready, pushed one call per segment in order
# as PostgreSQL's archiver does, renaming .ready to .done after each success.
log "wal-push vs archive-push: $WAL_SEGMENTS segments"
walbench() { # walbench NAME TIMELINE CMD...: CMD gets the segment path appended
  local name=$1 tl=$2
  shift 2
  local dir=$BENCH_DIR/walbench-$name/pg_wal i=0 f
  mkdir -p "$dir/archive_status" "$BENCH_DIR/walbench-$name/global"
  cp "$data/global/pg_control" "$BENCH_DIR/walbench-$name/global/"
  for f in $(ls "$data/pg_wal" | grep -E '^[0-9A-F]{24}$' | head -n "$WAL_SEGMENTS"); do
    cp "$data/pg_wal/$f" "$dir/$(printf '%08X%016X' "$tl" $((0x100 + i)))"
    i=$((i + 1))
  done
  for f in "$dir"/*; do [[ -f $f ]] && touch "$dir/archive_status/${f##*/}.ready"; done
  chown -R postgres "$BENCH_DIR/walbench-$name"
  cat >"$BENCH_DIR/walbench-$name/run.sh" <<EOF
set -e
cd $BENCH_DIR/walbench-$name
for f in \$(ls pg_wal | grep -E '^[0-9A-F]{24}\$'); do
  $* pg_wal/\$f
  mv pg_wal/archive_status/\$f.ready pg_wal/archive_status/\$f.done
done
EOF
  measure "walpush_$name" runuser -u postgres -- bash "$BENCH_DIR/walbench-$name/run.sh" || failed=1
  put "walpush_$name.n" "$i"
}
# The plain form, as in archive_command: the cluster comes from the copied global/pg_control.
walbench roadie 10 env ROADIE_REPOSITORY="$ROADIE_REPOSITORY" ROADIE_PASSWORD_FILE="$ROADIE_PASSWORD_FILE" \
  "$roadie" wal-push
# pgbackrest insists that it runs in pg1-path, as PostgreSQL runs archive_command in the data directory.
walbench pgbr_sync 11 pgbackrest --config="$BENCH_DIR/pgbackrest.conf" --stanza=bench \
  --pg1-path="$BENCH_DIR/walbench-pgbr_sync" archive-push
walbench pgbr_async 12 pgbackrest --config="$BENCH_DIR/pgbackrest.conf" --stanza=bench \
  --pg1-path="$BENCH_DIR/walbench-pgbr_async" --archive-async archive-push

python3 - "$BENCH_DIR/res" "$dbsize" "$cores" "$CHUNK_SWEEP" "$BUSY" <<'EOF'
import os, sys
res, dbsize, cores, sweep, busy = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", sys.argv[5]
def g(n, t=float):
    try: return t(open(os.path.join(res, n)).read().split()[0])
    except Exception: return None
mib = lambda b: "-" if b is None else "%.1f MiB" % (b / 1048576)
sec = lambda s: "-" if s is None else "%.1f s" % s
ratio = lambda a, b: "-" if a is None or not b else "%.2fx" % (a / b)
rss = lambda n: "-" if g(n + ".rss", int) is None else "%d MiB" % (g(n + ".rss", int) // 1024)
print(f"\nPostgreSQL physical, database {mib(dbsize)}, {cores} cores\n")
print("%-46s %10s %12s %10s" % ("step", "time", "stored", "peak RSS"))
rows = [("roadie_full", "roadie backup --physical (full)", g("roadie_full.size", int)),
        ("pgbr_full", "pgbackrest backup --type=full", g("pgbr_full.size", int)),
        ("basebackup_z", "pg_basebackup -Ft -z", g("basebackup_z.size", int)),
        ("basebackup_floor", "pg_basebackup -Ft -X fetch >/dev/null (floor)", None),
        ("roadie_second", "roadie backup --physical after the %s busy day" % busy, g("roadie_second.added", int)),
        ("pgbr_incr", "pgbackrest backup --type=incr", g("pgbr_incr.added", int)),
        ("roadie_restore", "roadie restore --pgdata", None),
        ("pgbr_restore", "pgbackrest restore", None)]
for name, label, size in rows:
    print("%-46s %10s %12s %10s" % (label, sec(g(name + ".s")), mib(size) if size is not None else "", rss(name)))
for name, label in [("roadie", "roadie wal-push, one call per segment"), ("pgbr_sync", "pgbackrest archive-push"),
                    ("pgbr_async", "pgbackrest archive-push --archive-async")]:
    s, n = g("walpush_%s.s" % name), g("walpush_%s.n" % name, int)
    if s and n:
        print("%-46s %10s %12s" % (label, sec(s), "%.1f seg/s" % (n / s)))
if sweep:
    print("\nfixed chunk size (own repository each; --wal-method fetch):")
    print("%-10s %12s %12s %12s %12s" % ("chunk", "full time", "full size", "2nd time", "2nd added"))
    for kib in (64, 128, 256):
        print("%-10s %12s %12s %12s %12s" % ("%d KiB" % kib, sec(g("sweep_%d_first.s" % kib)), mib(g("sweep_%d_first.added" % kib, int)),
              sec(g("sweep_%d_second.s" % kib)), mib(g("sweep_%d_second.added" % kib, int))))
try:
    changed, scanned, reused, reused_bytes, files, file_bytes = (int(x) for x in open(os.path.join(res, "pageskip")).read().split())
    print("busy day (%s) changed %d of %d relation pages (%.1f%%); the second backup reused %d chunks (%s) by page LSN"
          " and took %d unchanged files (%s) unread" % (busy, changed, scanned, 100.0 * changed / max(scanned, 1), reused,
          mib(reused_bytes), files, mib(file_bytes)))
except Exception:
    pass
rf, pf, r2, rr, pr = g("roadie_full.s"), g("pgbr_full.s"), g("roadie_second.s"), g("roadie_restore.s"), g("pgbr_restore.s")
ws = lambda n: (g("walpush_%s.n" % n, int) or 0) / (g("walpush_%s.s" % n) or 1)
print("\ngoals:")
print("  full backup time / pgbackrest full       %s (goal <= 1.00x)" % ratio(rf, pf))
print("  full backup size / pgbackrest full       %s (goal <= 1.00x)" % ratio(g("roadie_full.size", int), g("pgbr_full.size", int)))
print("  full backup time / pg_basebackup -z      %s" % ratio(rf, g("basebackup_z.s")))
print("  full backup time / read floor            %s" % ratio(rf, g("basebackup_floor.s")))
print("  second backup time / first               %s (goal <= 0.50x)" % ratio(r2, rf))
print("  second backup time / pgbackrest incr     %s" % ratio(r2, g("pgbr_incr.s")))
print("  second backup added / pgbackrest incr    %s" % ratio(g("roadie_second.added", int), g("pgbr_incr.added", int)))
print("  restore time / pgbackrest restore        %s (goal <= 1.00x)" % ratio(rr, pr))
print("  wal-push seg/s / archive-push (sync)     %s" % ratio(ws("roadie"), ws("pgbr_sync")))
print("  wal-push seg/s / archive-push (async)    %s" % ratio(ws("roadie"), ws("pgbr_async")))
EOF
exit $failed
