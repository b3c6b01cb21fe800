#!/usr/bin/env bash
# bench/engine.sh: roadie's backup engine side by side with its peers, one run.
#
# On one generated file (BENCH_SIZE_MB, default 1024 MiB; half log/CSV-like
# text, half random bytes, interleaved in 4 MiB blocks) it measures wall time
# and peak RSS of: zstd -3 -T0 (the floor), restic backup, borg create (lz4,
# its default, and zstd,3), roadie backup. Then it overwrites 1% of the file in
# 100 places, backs up again with each tool and reports the bytes the second
# backup added (repository size delta, du -sb) as a % of the first backup's
# stored bytes. It restores with roadie and restic, checks the sha256, times
# `roadie version` with hyperfine, and prints a table plus roadie's goals.
#
# The page cache is not dropped (that needs root and a quiet machine): the file
# is read once before the runs, so every tool reads it warm.
#
# Also the second backup of the unchanged file (restic and roadie), which
# neither tool should read again: its time against the first backup and
# against restic's. BENCH_CASE=unchanged runs only that case (data, first and
# unchanged backups of restic and roadie, no borg, zstd, 1% change, restores).
#
# Environment: BENCH_DIR (default /tmp/roadie-bench, removed at the end unless
# KEEP=1), BENCH_SIZE_MB (default 1024), BENCH_CASE (all, the default, or
# unchanged).
# A failing roadie step (the CLI is young) is reported; the peers' numbers
# are still printed. Exit status: 0 if every step worked, 1 otherwise.
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"

BENCH_DIR=${BENCH_DIR:-/tmp/roadie-bench}
BENCH_SIZE_MB=${BENCH_SIZE_MB:-1024}
BENCH_CASE=${BENCH_CASE:-all}
KEEP=${KEEP:-0}
case $BENCH_CASE in
  all | unchanged) ;;
  *) echo "bench: BENCH_CASE is all or unchanged, not '$BENCH_CASE'" >&2; exit 2 ;;
esac
all() { [[ $BENCH_CASE == all ]]; }
roadie=$root/roadie


if all; then
  roadie_apt_install restic borgbackup zstd hyperfine time
  tools=(restic borg zstd hyperfine python3 /usr/bin/time sha256sum)
else
  roadie_apt_install restic time
  tools=(restic python3 /usr/bin/time sha256sum)
fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing" >&2; exit 1; }
done

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res"
cleanup() {
  if [[ $KEEP == 1 ]]; then
    echo "bench: kept $BENCH_DIR" >&2
  else
    rm -rf "$BENCH_DIR"
  fi
}
trap cleanup EXIT
cd "$BENCH_DIR"
data=$BENCH_DIR/data.bin
failed=0

# shellcheck source=lib.sh
. "$root/bench/lib.sh"
warm() { cat "$data" >/dev/null; }

# --- roadie build ---------------------------------------------------------
roadie_ok=1
log "building roadie"
if ! "$roadie" version >&2; then
  echo "bench: ./roadie version failed: roadie steps will fail" >&2
  roadie_ok=0
fi

# --- data -----------------------------------------------------------------
log "generating ${BENCH_SIZE_MB} MiB of data (half text, half random, 4 MiB blocks)"
python3 - "$data" "$BENCH_SIZE_MB" <<'EOF'
import os, random, sys, time
out, size_mb = sys.argv[1], int(sys.argv[2])
block = 4 << 20
rnd = random.Random(42)
words = ("request user session cache miss hit backend query table index commit rollback "
         "checkpoint vacuum replica primary timeout retry connection pool worker job queue "
         "snapshot chunk pack blob upload download bucket object region latency error warning "
         "started finished accepted rejected invalid token account order invoice payment shipment "
         "customer product price quantity total status pending active closed archived").split()
levels = ["INFO"] * 12 + ["DEBUG"] * 6 + ["WARN"] * 2 + ["ERROR"]
services = ["api", "db", "auth", "billing", "storage", "scheduler", "web", "mailer"]
paths = ["/v1/orders", "/v1/users", "/v1/login", "/v2/invoices", "/health", "/v1/search", "/static/app.js"]
t = 1_700_000_000.0

def text_block(n):
    # Log lines (app and access log) and CSV rows: timestamps, words from a
    # fixed vocabulary, numbers. zstd -3 leaves about 30% of it.
    global t
    parts, size = [], 0
    rc, ri, sample = rnd.choice, rnd.randrange, rnd.sample
    while size < n:
        t += rnd.random() * 0.05
        tm = time.gmtime(t)
        stamp = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (tm[0], tm[1], tm[2], tm[3], tm[4], tm[5], int(t * 1000) % 1000)
        k = ri(3)
        if k == 0:
            line = "%s %s [%s-%d] %s %s %s id=%d took=%dms\n" % (
                stamp, rc(levels), rc(services), ri(16), *sample(words, 3), ri(10**7), ri(2000))
        elif k == 1:
            line = '%s %s 10.%d.%d.%d "GET %s?page=%d" %d %d %s\n' % (
                stamp, rc(levels), ri(256), ri(256), ri(256), rc(paths), ri(100),
                rc((200, 200, 200, 304, 404, 500)), ri(100000), rc(words))
        else:
            line = "%d,%s,%s,%d.%02d,%d,%s %s\n" % (
                ri(10**9), rc(words), rc(services), ri(10000), ri(100), ri(50), *sample(words, 2))
        parts.append(line)
        size += len(line)
    return "".join(parts).encode()[:n]

total, written, i = size_mb << 20, 0, 0
with open(out, "wb") as f:
    while written < total:
        n = min(block, total - written)
        f.write(text_block(n) if i % 2 == 0 else os.urandom(n))
        written += n
        i += 1
EOF
size=$(stat -c %s "$data")
size_mb=$(awk -v b="$size" 'BEGIN { printf "%.0f", b / 1048576 }')
sha_v1=$(sha256sum "$data" | cut -d' ' -f1)

log "reading the file once: all tools run with a warm page cache (not dropped)"
warm

# --- first backups --------------------------------------------------------
if all; then measure zstd zstd -3 -T0 -q -c "$data" || failed=1; fi

export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$BENCH_DIR/restic-cache
restic -r "$BENCH_DIR/restic" init -q >/dev/null
put restic.empty "$(dusize "$BENCH_DIR/restic")"
warm
measure restic.1 restic -r "$BENCH_DIR/restic" backup -q "$data" || failed=1
put restic.stored1 "$(dusize "$BENCH_DIR/restic")"

export BORG_PASSPHRASE=bench BORG_BASE_DIR=$BENCH_DIR/borg-base
for variant in lz4 zstd3; do
  all || break
  comp=lz4
  [[ $variant == zstd3 ]] && comp=zstd,3
  borg init -e repokey "$BENCH_DIR/borg-$variant" 2>/dev/null
  put "borg-$variant.empty" "$(dusize "$BENCH_DIR/borg-$variant")"
  warm
  measure "borg-$variant.1" borg create --compression "$comp" "$BENCH_DIR/borg-$variant::one" data.bin || failed=1
  put "borg-$variant.stored1" "$(dusize "$BENCH_DIR/borg-$variant")"
done

# The roadie steps run in subshells with their own errexit: a failure there is
# reported and the peers' measurements go on.
export ROADIE_REPOSITORY=$BENCH_DIR/roadie-repo ROADIE_PASSWORD=bench
# json_has_id FILE: FILE holds one JSON object with an "id" (roadie backup --json).
json_has_id() {
  python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert isinstance(o, dict) and "id" in o, "no id in roadie backup --json output"
' "$1"
}
roadie_step() {
  local name=$1 rc=0
  shift
  if ((roadie_ok)); then
    set +e
    ("$@")
    rc=$?
    set -e
    if ((rc != 0)); then
      echo "bench: roadie step '$name' failed (status $rc)" >&2
      put roadie.failed "$name"
      roadie_ok=0
      failed=1
    fi
  else
    echo "bench: roadie step '$name' skipped (an earlier roadie step failed)" >&2
  fi
}
roadie_first() {
  set -e
  "$roadie" init >&2
  put roadie.empty "$(dusize "$ROADIE_REPOSITORY")"
  warm
  measure roadie.1 "$roadie" backup file "$data" --json
  json_has_id "$BENCH_DIR/res/roadie.1.out"
  put roadie.stored1 "$(dusize "$ROADIE_REPOSITORY")"
}
roadie_step "first backup" roadie_first

# --- unchanged ------------------------------------------------------------
# The same file again: both tools find it unchanged in their parent snapshot
# (same path, size, mtime, ctime, inode) and do not read it.
warm
measure restic.same restic -r "$BENCH_DIR/restic" backup -q "$data" || failed=1
roadie_same() {
  set -e
  warm
  measure roadie.same "$roadie" backup file "$data" --json
  json_has_id "$BENCH_DIR/res/roadie.same.out"
  python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
print(o["stats"]["bytesRead"])
' "$BENCH_DIR/res/roadie.same.out" >"$BENCH_DIR/res/roadie.same.read"
}
roadie_step "unchanged backup" roadie_same

if all; then
# --- 1% change ------------------------------------------------------------
chunk=$((size / 10000))
log "overwriting 100 x $chunk bytes at random offsets (seed 1): 1% of the file"
python3 -c '
import random, sys
random.seed(1)
size, chunk = int(sys.argv[1]), int(sys.argv[2])
for _ in range(100):
    print(random.randrange(0, size - chunk))
' "$size" "$chunk" | while read -r off; do
  dd if=/dev/urandom of="$data" bs="$chunk" count=1 seek="$off" oflag=seek_bytes conv=notrunc status=none
done
sha_v2=$(sha256sum "$data" | cut -d' ' -f1)
[[ $sha_v1 != "$sha_v2" ]] || { echo "bench: the file did not change" >&2; exit 1; }
warm

# --- second backups -------------------------------------------------------
measure restic.2 restic -r "$BENCH_DIR/restic" backup -q "$data" || failed=1
put restic.stored2 "$(dusize "$BENCH_DIR/restic")"
for variant in lz4 zstd3; do
  comp=lz4
  [[ $variant == zstd3 ]] && comp=zstd,3
  warm
  measure "borg-$variant.2" borg create --compression "$comp" "$BENCH_DIR/borg-$variant::two" data.bin || failed=1
  put "borg-$variant.stored2" "$(dusize "$BENCH_DIR/borg-$variant")"
done
roadie_second() {
  set -e
  warm
  measure roadie.2 "$roadie" backup file "$data" --json
  json_has_id "$BENCH_DIR/res/roadie.2.out"
  put roadie.stored2 "$(dusize "$ROADIE_REPOSITORY")"
  "$roadie" snapshots --json >"$BENCH_DIR/res/roadie.snapshots.json"
  # roadie's own figure: bytesAdded of the latest snapshot / of the first.
  local own
  own=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print("%.2f" % (100.0 * s[-1]["stats"]["bytesAdded"] / s[0]["stats"]["bytesAdded"]))
' "$BENCH_DIR/res/roadie.snapshots.json")
  put roadie.own2 "$own"
  "$roadie" stats --json >"$BENCH_DIR/res/roadie.stats.json"
}
roadie_step "second backup" roadie_second

# --- restores -------------------------------------------------------------
# check_restore NAME DIR: the restored data.bin must equal the changed file.
check_restore() {
  local f
  f=$(find "$2" -type f -name data.bin -print -quit)
  if [[ -z $f ]]; then
    echo "bench: $1 restore: no data.bin under $2" >&2
    return 1
  fi
  if [[ $(sha256sum "$f" | cut -d' ' -f1) != "$sha_v2" ]]; then
    echo "bench: $1 restore: sha256 MISMATCH for $f" >&2
    return 1
  fi
  log "$1 restore: sha256 ok"
  rm -rf "$2"
}
if measure restic.restore restic -r "$BENCH_DIR/restic" restore latest --target "$BENCH_DIR/restore-restic"; then
  check_restore restic "$BENCH_DIR/restore-restic" || failed=1
else
  failed=1
fi
roadie_restore() {
  set -e
  measure roadie.restore "$roadie" restore latest --target "$BENCH_DIR/restore-roadie"
  check_restore roadie "$BENCH_DIR/restore-roadie"
}
roadie_step "restore" roadie_restore

# --- start-up and index memory -------------------------------------------
roadie_startup() {
  set -e
  hyperfine -N --warmup 3 --runs 20 --export-json "$BENCH_DIR/res/hyperfine.json" "$roadie version" >&2
  local startup
  startup=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.1f ms (median %.1f, sd %.1f)" % (r["mean"] * 1e3, r["median"] * 1e3, r["stddev"] * 1e3))
' "$BENCH_DIR/res/hyperfine.json")
  put roadie.startup "$startup"
}
roadie_ok=1 # start-up works even if the engine commands do not exist yet
if ! "$roadie" version >/dev/null 2>&1; then roadie_ok=0; fi
roadie_step "start-up" roadie_startup

if [[ -f $root/roadie-core/src/test/java/dev/roadie/core/index/IndexMemory.java ]]; then
  roadie_index() {
    set -e
    # shellcheck source=../scripts/lib/jdk.sh
    . "$root/scripts/lib/jdk.sh"
    roadie_find_jdk
    log "index memory (dev.roadie.core.index.IndexMemory)"
    (cd "$root" && JAVA_HOME=$ROADIE_JDK mvn -q -B -Dstyle.color=never -DskipTests test-compile -pl roadie-core) >&2
    "$ROADIE_JDK/bin/java" -cp "$root/roadie-core/target/test-classes:$root/roadie-core/target/classes:$root/roadie-cli/target/dist/lib/*" \
      dev.roadie.core.index.IndexMemory | tee "$BENCH_DIR/res/index-memory.txt" >&2
  }
  roadie_step "index memory" roadie_index
else
  echo "bench: no dev.roadie.core.index.IndexMemory in roadie-core's tests yet: index memory step skipped" >&2
fi

fi # all

# --- report ---------------------------------------------------------------
python3 - "$BENCH_DIR/res" "$size" "$BENCH_CASE" <<'EOF'
import os, sys
res, size, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def get(k):
    try:
        return open(os.path.join(res, k)).read().strip()
    except OSError:
        return None
def num(k):
    v = get(k)
    return float(v) if v not in (None, "") else None
mb = size / 1048576
def ratio_goal(name, a, b, limit):
    if a is None or b is None or b == 0:
        print("%-42s %8s   goal <= %-5s n/a" % (name, "-", limit))
    else:
        print("%-42s %8.2f   goal <= %-5s %s" % (name, a / b, limit, "PASS" if a / b <= limit else "MISS"))
def unchanged_report():
    print()
    print("second backup of the unchanged file (%.0f MiB):" % mb)
    print("  %-10s first %7s s   unchanged %7s s   (CPU %s s)" % ("restic", get("restic.1.s") or "-", get("restic.same.s") or "-",
                                                             get("restic.same.cpu") or "-"))
    print("  %-10s first %7s s   unchanged %7s s   (CPU %s s, %s bytes read)" % ("roadie", get("roadie.1.s") or "-",
          get("roadie.same.s") or "-", get("roadie.same.cpu") or "-", get("roadie.same.read") or "-"))
    ratio_goal("roadie unchanged / roadie first backup", num("roadie.same.s"), num("roadie.1.s"), 0.1)
    ratio_goal("roadie unchanged / restic unchanged", num("roadie.same.s"), num("restic.same.s"), 1.0)
if case == "unchanged":
    unchanged_report()
    sys.exit(0)
print()
print("engine benchmark: %.0f MiB, half text / half random; warm page cache (read once before each run, never dropped)" % mb)
print()
row = "%-28s %9s %8s %8s %10s %12s %10s"
print(row % ("tool", "backup s", "MB/s", "RSS MB", "stored MB", "2nd added %", "restore s"))
def fmt(v, f):
    return "-" if v is None else f % v
stats = {}
for tool, label in (("zstd", "zstd -3 -T0 (floor)"), ("restic", "restic"), ("borg-lz4", "borg (lz4)"),
                    ("borg-zstd3", "borg (zstd,3)"), ("roadie", "roadie")):
    first = "zstd" if tool == "zstd" else tool + ".1"
    if tool == "roadie" and get("roadie.failed"):
        print(row % ("roadie (failed: %s)" % get("roadie.failed"), "-", "-", "-", "-", "-", "-"))
        stats[tool] = dict(t=None, rss=None, added=None, restore=None)
        continue
    t, rss = num(first + ".s"), num(first + ".rss")
    empty, s1, s2 = num(tool + ".empty"), num(tool + ".stored1"), num(tool + ".stored2")
    stored = s1 - empty if s1 is not None and empty is not None else None
    added = 100.0 * (s2 - s1) / stored if None not in (s1, s2, stored) and stored > 0 else None
    restore = num(tool + ".restore.s")
    stats[tool] = dict(t=t, rss=rss, added=added, restore=restore)
    print(row % (label, fmt(t, "%.2f"), fmt(mb / t if t else None, "%.0f"),
                 fmt(rss / 1024 if rss else None, "%.0f"),
                 fmt(stored / 1048576 if stored is not None else None, "%.1f"),
                 fmt(added, "%.2f"), fmt(restore, "%.2f")))
print()
print("2nd added %: repository growth (du -sb) from the backup after changing 1% of the file,")
print("             as a % of the first backup's growth.")
own = get("roadie.own2")
print("roadie's own 2nd added %% (snapshots --json, bytesAdded latest / first): %s" % (own + " %" if own else "-"))
print("roadie version start-up (hyperfine, 3 warm-ups, 20 runs): %s" % (get("roadie.startup") or "-"))
im = get("index-memory.txt")
if im:
    print("index memory:\n  " + im.replace("\n", "\n  "))
print()
r, p, z = stats["roadie"], stats["restic"], stats["zstd"]
def goal(name, value, limit):
    if value is None:
        print("%-34s %8s   goal <= %-5s n/a" % (name, "-", limit))
    else:
        print("%-34s %8.2f   goal <= %-5s %s" % (name, value, limit, "PASS" if value <= limit else "MISS"))
goal("roadie / restic backup time", r["t"] / p["t"] if r["t"] and p["t"] else None, 0.6)
goal("roadie / zstd-floor backup time", r["t"] / z["t"] if r["t"] and z["t"] else None, 1.5)
goal("roadie 2nd backup added %", r["added"], 3)
goal("roadie restore / backup time", r["restore"] / r["t"] if r["restore"] and r["t"] else None, 1.0)
goal("roadie peak RSS MB", r["rss"] / 1024 if r["rss"] else None, 300)
unchanged_report()
EOF

if ((failed)); then
  echo "bench: some steps failed (see above)" >&2
  exit 1
fi
