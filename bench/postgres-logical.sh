#!/usr/bin/env bash
# bench/postgres-logical.sh: roadie's PostgreSQL logical backup and restore
# side by side with pg_dump/pg_restore and restic, one run.
#
# It starts a throwaway cluster (initdb in BENCH_DIR, a free port; never the
# server on 5432), generates a festival-shaped database of about BENCH_SIZE_MB
# (default about 600 MiB of table data: users, festivals, tickets with uuids, emails,
# timestamps and text), then measures wall time and peak RSS of:
#   roadie backup postgres            (native format, --jobs = cores)
#   pg_dump -Fc                       (the guide's command)
#   pg_dump -Fc -Z0 > /dev/null       (the read floor)
#   pg_dump -Fc -Z0 | restic backup --stdin
#   roadie restore --to               vs pg_restore -d of the -Fc dump (and -j cores)
# then a busy festival day (1% new tickets, 0.5% new users, 20% of the rows
# in the newest 5% of tickets updated) and a second roadie backup, and
# prints a table with roadie's goals.
#
# Environment: BENCH_DIR (default /tmp/roadie-pgbench, removed at the end
# unless KEEP=1), BENCH_SIZE_MB (default 600). Runs as root (the cluster runs
# as the postgres user through runuser) or as the postgres user.
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
# shellcheck source=lib.sh
. "$root/bench/lib.sh"
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"

BENCH_DIR=${BENCH_DIR:-/tmp/roadie-pgbench}
BENCH_SIZE_MB=${BENCH_SIZE_MB:-600}
KEEP=${KEEP:-0}
roadie=$root/roadie
cores=$(nproc)


roadie_apt_install postgresql restic time
find_pgbin

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res" "$BENCH_DIR/pg"
port=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=bench-pw
cleanup() {
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
  "-p $port -k $BENCH_DIR/pg -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=8GB -c max_connections=40" >/dev/null
psql="$pgbin/psql -X -q -v ON_ERROR_STOP=1"

tickets=$((BENCH_SIZE_MB * 6300))
users=$((BENCH_SIZE_MB * 1050))
log "generating the festival database: $users users, $tickets tickets"
$psql -d postgres -c "CREATE DATABASE festival"
start=$(date +%s)
festival_sql "$users" "$tickets" | $psql -d festival
put gen.s $(($(date +%s) - start))
dbsize=$($psql -d festival -At -c "SELECT sum(pg_relation_size(oid)) FROM pg_class WHERE relkind = 'r'")
log "generated in $(get gen.s)s: table data $((dbsize >> 20)) MiB"

export ROADIE_REPOSITORY=$BENCH_DIR/repo ROADIE_PASSWORD=bench
export RESTIC_REPOSITORY=$BENCH_DIR/restic RESTIC_PASSWORD=bench
"$roadie" init >/dev/null
restic init >/dev/null 2>&1
url="postgresql://postgres@127.0.0.1:$port/festival"
failed=0

measure roadie_backup "$roadie" backup postgres --url "$url" || failed=1
put roadie_repo1 "$(dusize "$BENCH_DIR/repo")"
measure pgdump_fc "$pgbin/pg_dump" -Fc -f "$BENCH_DIR/festival.dump" festival || failed=1
put pgdump_size "$(stat -c %s "$BENCH_DIR/festival.dump")"
measure pgdump_floor sh -c "'$pgbin/pg_dump' -Fc -Z0 festival >/dev/null" || failed=1
measure pgdump_restic sh -c "'$pgbin/pg_dump' -Fc -Z0 festival | restic backup --stdin --stdin-filename festival.dump -q" || failed=1
put restic_size "$(dusize "$BENCH_DIR/restic")"

measure roadie_restore "$roadie" restore latest --to "postgresql://postgres@127.0.0.1:$port/festival_roadie" || failed=1
$psql -d postgres -c "CREATE DATABASE festival_pgrestore" -c "CREATE DATABASE festival_pgrestore_j"
measure pgrestore sh -c "'$pgbin/pg_restore' -d festival_pgrestore '$BENCH_DIR/festival.dump'" || failed=1
measure pgrestore_j sh -c "'$pgbin/pg_restore' -j $cores -d festival_pgrestore_j '$BENCH_DIR/festival.dump'" || failed=1
for db in festival_roadie festival_pgrestore; do
  $psql -d $db -At -c "SELECT (SELECT count(*) FROM tickets) || ' tickets, ' || (SELECT count(*) FROM users) || ' users'" >"$BENCH_DIR/res/$db.count"
done
if ! cmp -s "$BENCH_DIR/res/festival_roadie.count" "$BENCH_DIR/res/festival_pgrestore.count"; then
  echo "bench: row counts differ after roadie restore" >&2
  failed=1
fi

log "busy festival day"
$psql -d festival <<SQL
INSERT INTO tickets SELECT gen_random_uuid(), 1 + g % 400, 1 + g % $users, 'day', 5900, now(), NULL,
  'user' || (1 + g % $users) || '@example.org', words(6, g) FROM generate_series(1, $tickets / 100) g;
INSERT INTO users SELECT $users + g, 'new' || g || '@example.org', initcap(words(2, g)), 'DE', now(), true, words(10, g)
  FROM generate_series(1, $users / 200) g;
UPDATE tickets SET scanned = now() WHERE ctid IN (SELECT ctid FROM tickets ORDER BY purchased DESC LIMIT $tickets / 20)
  AND random() < 0.2;
SQL
measure roadie_backup2 "$roadie" backup postgres --url "$url" || failed=1
put roadie_repo2 "$(dusize "$BENCH_DIR/repo")"

python3 - "$BENCH_DIR/res" "$dbsize" "$BENCH_SIZE_MB" "$cores" <<'EOF'
import os, sys
res, dbsize, size_mb, cores = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def g(n, t=float):
    try: return t(open(os.path.join(res, n)).read().split()[0])
    except Exception: return None
rb, fc, floor, rst = g("roadie_backup.s"), g("pgdump_fc.s"), g("pgdump_floor.s"), g("pgdump_restic.s")
rr, pr, prj, rb2 = g("roadie_restore.s"), g("pgrestore.s"), g("pgrestore_j.s"), g("roadie_backup2.s")
repo1, repo2, dump = g("roadie_repo1", int), g("roadie_repo2", int), g("pgdump_size", int)
restic = g("restic_size", int)
mib = lambda b: "-" if b is None else "%.1f MiB" % (b / 1048576)
sec = lambda s: "-" if s is None else "%.1f s" % s
rss = lambda n: "-" if g(n + ".rss", int) is None else "%d MiB" % (g(n + ".rss", int) // 1024)
ratio = lambda a, b: "-" if a is None or not b else "%.2fx" % (a / b)
print(f"\nPostgreSQL logical, {mib(dbsize)} of table data, {cores} cores\n")
print("%-40s %10s %12s %10s" % ("step", "time", "stored", "peak RSS"))
for name, label, size in [("roadie_backup", "roadie backup postgres", repo1), ("pgdump_fc", "pg_dump -Fc", dump),
                          ("pgdump_floor", "pg_dump -Fc -Z0 > /dev/null (floor)", None),
                          ("pgdump_restic", "pg_dump -Fc -Z0 | restic backup --stdin", restic),
                          ("roadie_restore", "roadie restore --to", None), ("pgrestore", "pg_restore -d", None),
                          ("pgrestore_j", "pg_restore -j %s -d" % cores, None),
                          ("roadie_backup2", "roadie backup after a busy day", None if repo2 is None or repo1 is None else repo2 - repo1)]:
    print("%-40s %10s %12s %10s" % (label, sec(g(name + ".s")), mib(size) if size is not None else "", rss(name)))
print("\ngoals:")
print("  backup time / pg_dump -Fc         %s (goal <= 0.30x)" % ratio(rb, fc))
print("  backup time / read floor          %s (goal <= 1.30x)" % ratio(rb, floor))
print("  stored / -Fc file                 %s (goal <= 1.00x)" % ratio(repo1, dump))
print("  restore time / pg_restore         %s (goal <= 0.60x)" % ratio(rr, pr))
print("  restore time / pg_restore -j      %s" % ratio(rr, prj))
print("  busy-day added / first stored     %s (goal <= 0.04x)" % (ratio(repo2 - repo1, repo1) if repo1 and repo2 else "-"))
peak = max([x for x in [g("roadie_backup.rss", int), g("roadie_restore.rss", int), g("roadie_backup2.rss", int)] if x] or [0])
print("  roadie peak RSS                   %d MiB (goal <= 400 MiB)" % (peak // 1024))
EOF
exit $failed
