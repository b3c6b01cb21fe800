#!/usr/bin/env bash
# bench/prune.sh: `roadie prune` against `restic prune` on the same data, one run.
#
# Builds two repositories from the same files: BENCH_SNAPSHOTS snapshots
# (default 200), each of BENCH_FILES new small files (default 10000, 100-400
# random bytes each: one blob per file in both tools) plus 1000 files shared
# by all snapshots. 200 x 10000 gives 2 million data blobs. Even snapshots are
# tagged keep, then both tools run `forget --keep-tag keep` and the timed
# step, `prune`, frees the other half:
#   roadie prune --grace 0     (plan and delete at once; default --max-unused 10% per pack)
#   restic prune               (its defaults: --max-unused 5% of the repository)
# It reports wall time and peak RSS of each prune and their ratios (goal:
# roadie at most 0.5x restic in both), the repository sizes before and after,
# and checks both repositories afterwards.
#
# Environment: BENCH_DIR (default /tmp/roadie-bench-prune, removed at the end
# unless KEEP=1), BENCH_SNAPSHOTS, BENCH_FILES. Run under the shared lock:
#   flock /tmp/roadie-bench.lock bench/prune.sh
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
BENCH_DIR=${BENCH_DIR:-/tmp/roadie-bench-prune}
BENCH_SNAPSHOTS=${BENCH_SNAPSHOTS:-200}
BENCH_FILES=${BENCH_FILES:-10000}
KEEP=${KEEP:-0}
roadie=$root/roadie
# shellcheck source=lib.sh
. "$root/bench/lib.sh"
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"
roadie_apt_install restic time
for tool in restic python3 /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing" >&2; exit 1; }
done
"$roadie" version >&2

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res" "$BENCH_DIR/src"
cleanup() { if [[ $KEEP == 1 ]]; then echo "bench: kept $BENCH_DIR" >&2; else rm -rf "$BENCH_DIR"; fi; }
trap cleanup EXIT
cd "$BENCH_DIR/src"

export ROADIE_REPOSITORY=$BENCH_DIR/roadie-repo ROADIE_PASSWORD=bench
export RESTIC_REPOSITORY=$BENCH_DIR/restic-repo RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$BENCH_DIR/restic-cache
"$roadie" init >&2
restic init -q

# gen ROUND: replaces ./gen with BENCH_FILES new files (./shared is made once).
python3 - "$BENCH_FILES" <<'PY'
import os, random, sys
os.makedirs("shared", exist_ok=True)
rnd = random.Random(7)
for i in range(1000):
    with open("shared/s%04d" % i, "wb") as f:
        f.write(rnd.randbytes(rnd.randrange(100, 400)))
PY
gen() {
  python3 - "$1" "$BENCH_FILES" <<'PY'
import os, random, shutil, sys
rnd, n = random.Random(int(sys.argv[1])), int(sys.argv[2])
shutil.rmtree("gen", ignore_errors=True)
for d in range(0, n, 1000):
    os.makedirs("gen/d%03d" % (d // 1000))
for i in range(n):
    with open("gen/d%03d/f%05d" % (i // 1000, i), "wb") as f:
        f.write(rnd.randbytes(rnd.randrange(100, 400)))
PY
}

log "building $BENCH_SNAPSHOTS snapshots of $BENCH_FILES new files each in both repositories"
start=$SECONDS
for ((i = 0; i < BENCH_SNAPSHOTS; i++)); do
  gen "$i"
  tag=drop
  ((i % 2 == 0)) && tag=keep
  t=$(date -u -d "2026-01-01 + $i hours" +%Y-%m-%dT%H:%M:%SZ)
  # Both tools back up the same files at once (only building the data; prune is timed alone).
  restic backup -q --tag "$tag" --time "$(date -u -d "2026-01-01 + $i hours" "+%Y-%m-%d %H:%M:%S")" --host bench gen shared >/dev/null &
  "$roadie" backup file gen shared --target bench --tag "$tag" --time "$t" >/dev/null
  wait $!
  ((i % 20 == 19)) && log "  $((i + 1)) snapshots ($((SECONDS - start)) s)"
done
rm -rf gen

"$roadie" forget --keep-tag keep >/dev/null
restic forget -q --keep-tag keep >/dev/null
put roadie.before "$(dusize "$ROADIE_REPOSITORY")"
put restic.before "$(dusize "$RESTIC_REPOSITORY")"
blobs=$("$roadie" prune --dry-run --grace 0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["blobs"])')
log "roadie repository: $blobs blobs before prune"

sync
measure roadie.prune "$roadie" prune --grace 0
measure restic.prune restic prune
put roadie.after "$(dusize "$ROADIE_REPOSITORY")"
put restic.after "$(dusize "$RESTIC_REPOSITORY")"
tail -n 3 "$BENCH_DIR/res/roadie.prune.out" >&2
"$roadie" check >&2
restic check -q >&2

python3 - "$blobs" "$BENCH_SNAPSHOTS" "$BENCH_FILES" "$(nproc)" \
  "$(get roadie.prune.s)" "$(get roadie.prune.rss)" "$(get restic.prune.s)" "$(get restic.prune.rss)" \
  "$(get roadie.before)" "$(get roadie.after)" "$(get restic.before)" "$(get restic.after)" <<'PY'
import sys
blobs, snaps, files, cpus = (int(x) for x in sys.argv[1:5])
rs, rm, qs, qm = float(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8])
rb, ra, qb, qa = (int(x) for x in sys.argv[9:13])
mib = lambda b: b / 1048576
print()
print("prune benchmark: %d snapshots x %d new files (+1000 shared), half forgotten; %d roadie blobs; %d CPUs"
      % (snaps, files, blobs, cpus))
print()
row = "%-8s %10s %12s %14s %14s"
print(row % ("tool", "prune s", "peak RSS MiB", "repo MiB before", "after"))
print(row % ("roadie", "%.2f" % rs, "%.0f" % (rm / 1024), "%.1f" % mib(rb), "%.1f" % mib(ra)))
print(row % ("restic", "%.2f" % qs, "%.0f" % (qm / 1024), "%.1f" % mib(qb), "%.1f" % mib(qa)))
print()
def goal(name, v, limit):
    print("%-34s %6.2f   goal <= %-4s %s" % (name, v, limit, "PASS" if v <= limit else "MISS"))
goal("roadie / restic prune time", rs / qs, 0.5)
goal("roadie / restic prune peak RSS", rm / qm, 0.5)
PY
