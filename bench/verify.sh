#!/usr/bin/env bash
# bench/verify.sh: roadie verify against the guide's verification script, and the RTO and RPO of
# a database-corruption drill, one run.
#
# It starts a throwaway cluster (initdb in BENCH_DIR, a free port; never the server on 5432) that
# archives its WAL into a roadie repository (archive_command = roadie wal-push), fills it with the
# logical bench's festival database (bench/lib.sh festival_sql, about BENCH_SIZE_MB of table data)
# and pgbench data of scale SCALE (the physical bench's), then measures:
#   the guide's verification script: pg_restore of the pg_dump -Fc file into a new database, and
#     its two counts (tickets, users)
#   roadie verify of a logical snapshot of the festival database: restore into a throwaway cluster
#     and every table's count (the part the script does), then the constraint checks and
#     pg_amcheck --heapallindexed (reported separately: the script has nothing like them)
#   roadie drill database-corruption of a physical snapshot taken with --read local, to a point
#     after a minute of pgbench writes: RTO and RPO
# and prints a table with roadie's goals. The load of the machine is printed before and after.
#
# Environment: BENCH_DIR (default /tmp/roadie-verifybench, removed at the end unless KEEP=1),
# BENCH_SIZE_MB (default 600), SCALE (default 70), WRITE_SECONDS (pgbench after the physical
# backup, default 60). Runs as root (the cluster runs as the postgres user through runuser).
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
# shellcheck source=lib.sh
. "$root/bench/lib.sh"
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"

BENCH_DIR=${BENCH_DIR:-/tmp/roadie-verifybench}
BENCH_SIZE_MB=${BENCH_SIZE_MB:-600}
SCALE=${SCALE:-70}
WRITE_SECONDS=${WRITE_SECONDS:-60}
KEEP=${KEEP:-0}
roadie=$root/roadie
cores=$(nproc)

[[ $(id -u) == 0 ]] || { echo "bench: run as root (the cluster runs as postgres through runuser)" >&2; exit 1; }
roadie_apt_install postgresql time
find_pgbin

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res" "$BENCH_DIR/pg" "$BENCH_DIR/scratch"
port=$(free_port)
data=$BENCH_DIR/pg/data
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=bench-pw
cleanup() {
  [[ -f $data/postmaster.pid ]] && as_pg "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  if [[ $KEEP == 1 ]]; then echo "bench: kept $BENCH_DIR" >&2; else rm -rf "$BENCH_DIR"; fi
}
trap cleanup EXIT
cd "$BENCH_DIR"
put load_before "$(cut -d' ' -f1-3 /proc/loadavg)"

log "building roadie"
"$roadie" version >&2

export ROADIE_REPOSITORY=$BENCH_DIR/repo ROADIE_PASSWORD_FILE=$BENCH_DIR/password
echo bench-repo-pw >"$ROADIE_PASSWORD_FILE"
"$roadie" init >/dev/null
echo "$PGPASSWORD" >"$BENCH_DIR/pg/pw"
chown -R postgres "$BENCH_DIR"
chmod 600 "$ROADIE_PASSWORD_FILE"

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
archive_mode = on
archive_timeout = 10
archive_command = 'ROADIE_REPOSITORY=$ROADIE_REPOSITORY ROADIE_PASSWORD_FILE=$ROADIE_PASSWORD_FILE $roadie wal-push %p'
EOF
as_pg "$pgbin/pg_ctl" -D "$data" -l "$BENCH_DIR/pg/log" -w start >/dev/null
psql="$pgbin/psql -X -q -v ON_ERROR_STOP=1"

tickets=$((BENCH_SIZE_MB * 6300))
users=$((BENCH_SIZE_MB * 1050))
log "generating the festival database ($users users, $tickets tickets) and pgbench scale $SCALE"
$psql -d postgres -c "CREATE DATABASE festival"
festival_sql "$users" "$tickets" | $psql -d festival
"$pgbin/pgbench" -i -s "$SCALE" -q postgres >/dev/null 2>&1
dbsize=$($psql -d festival -At -c "SELECT sum(pg_relation_size(oid)) FROM pg_class WHERE relkind = 'r'")
clustersize=$($psql -d postgres -At -c "SELECT sum(pg_database_size(datname)) FROM pg_database")
log "festival table data $((dbsize >> 20)) MiB, cluster $((clustersize >> 20)) MiB"
url="postgresql://postgres@127.0.0.1:$port"
failed=0

# The guide's weekly verification: the newest dump restored into a test database, and two counts.
"$pgbin/pg_dump" -Fc -f "$BENCH_DIR/festival.dump" festival
{
  echo "set -e"
  echo "'$pgbin/createdb' verify_test"
  echo "'$pgbin/pg_restore' -d verify_test '$BENCH_DIR/festival.dump'"
  echo "'$pgbin/psql' -X -At -d verify_test -c 'SELECT count(*) FROM tickets'"
  echo "'$pgbin/psql' -X -At -d verify_test -c 'SELECT count(*) FROM users'"
} >"$BENCH_DIR/guide-verify.sh"
measure guide bash "$BENCH_DIR/guide-verify.sh" || failed=1

"$roadie" backup postgres --url "$url/festival" >/dev/null
measure verify_logical "$roadie" verify --kind postgres --scratch-dir "$BENCH_DIR/scratch" --json || failed=1

# Point-in-time: a physical backup, writes, then a drill to a point inside them.
log "physical backup, then $WRITE_SECONDS s of pgbench writes"
"$roadie" backup postgres --physical --read local --url "$url/postgres" >/dev/null
"$pgbin/pgbench" -c 2 -T "$WRITE_SECONDS" -n postgres >/dev/null 2>&1
at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 2
"$pgbin/pgbench" -c 2 -T 10 -n postgres >/dev/null 2>&1
$psql -d postgres -At -c "SELECT pg_switch_wal()" >/dev/null
sleep 15 # archive_command catches up (archive_timeout 10)
measure drill "$roadie" drill database-corruption --of "postgres://127.0.0.1:$port" --at "$at" \
  --scratch-dir "$BENCH_DIR/scratch" --json || failed=1
put load_after "$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$BENCH_DIR/res" "$dbsize" "$clustersize" "$cores" <<'PY'
import json, os, sys
res, dbsize, clustersize, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def g(n, t=float):
    try: return t(open(os.path.join(res, n)).read().split()[0])
    except Exception: return None
def out(n):
    try: return json.load(open(os.path.join(res, n + ".out")))
    except Exception: return None
def text(n):
    try: return open(os.path.join(res, n)).read().strip()
    except Exception: return "-"
sec = lambda s: "-" if s is None else "%.1f s" % s
guide, total = g("guide.s"), g("verify_logical.s")
v = out("verify_logical")
checks = {c["name"]: c for c in v[0]["checks"]} if v else {}
fig = lambda name: checks.get(name, {}).get("figures", {}).get("seconds")
extra = sum(x for x in [fig("constraints"), fig("amcheck"), fig("probes")] if x) if checks else None
restore_count = None if total is None or extra is None else total - extra
d = out("drill")
t = d["targets"][0] if d and d.get("targets") else {}
print(f"\nverify and drill, festival table data {dbsize / 1048576:.0f} MiB, cluster {clustersize / 1048576:.0f} MiB, {cores} cores")
print(f"load average before: {text('load_before')}, after: {text('load_after')}\n")
print("%-58s %10s" % ("step", "time"))
print("%-58s %10s" % ("guide: pg_restore into a test database + two counts", sec(guide)))
print("%-58s %10s" % ("roadie verify (logical), all of it", sec(total)))
print("%-58s %10s" % ("  restore and count (scratch cluster, restore, counts)", sec(restore_count)))
print("%-58s %10s" % ("    of which the restore", sec(fig("restore"))))
print("%-58s %10s" % ("    of which the counts", sec(fig("row-counts"))))
print("%-58s %10s" % ("  constraint checks (foreign keys, check constraints)", sec(fig("constraints"))))
print("%-58s %10s" % ("  pg_amcheck --heapallindexed", sec(fig("amcheck"))))
print("%-58s %10s" % ("roadie drill database-corruption (physical), all of it", sec(g("drill.s"))))
dchecks = {c["name"]: c for c in t.get("checks", [])}
for name, label in [("restore", "  restore into the scratch data directory"),
                    ("recovery", "  start, WAL replay to the point, promotion"),
                    ("amcheck", "  pg_amcheck --heapallindexed (not part of the RTO)")]:
    print("%-58s %10s" % (label, sec(dchecks.get(name, {}).get("figures", {}).get("seconds"))))
print("\nresults: verify " + (v[0]["result"] if v else "-") + ", drill " + ("pass" if d and d.get("pass") else "FAIL"))
print("\ngoals:")
print("  verify restore-and-count / guide script   %s (goal <= 1.00x)" %
      ("-" if restore_count is None or not guide else "%.2fx" % (restore_count / guide)))
print("  drill RTO                                 %s (goal <= 60 s)" % sec(t.get("rtoSeconds")))
print("  drill RPO                                 %s (recovered to the requested point: 0)" % sec(t.get("rpoSeconds")))
PY
exit $failed
