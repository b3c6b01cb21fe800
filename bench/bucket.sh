#!/usr/bin/env bash
# bench/bucket.sh: `roadie backup bucket` against what a user would otherwise run, one run, on a
# MinIO this script starts (scripts/test-servers run minio; built on first use).
#
# A bucket of BENCH_OBJECTS objects (default 10,000) of BENCH_SIZE_MB in all (default 2048 MiB),
# sizes spread log-uniformly from 256 B to a few MiB, half random bytes and half base64 text
# (compressible), each object's content its own. Measured, wall time and peak RSS:
#   - rclone sync of the bucket into a local directory (rclone's defaults);
#   - mc mirror of the bucket into a second bucket on the same server (mc's defaults: MinIO copies
#     server-side, no byte passes through mc);
#   - roadie backup bucket into a repository in a local directory (the full backup);
#   - roadie mirror against mc mirror (--overwrite --remove) and rclone sync --checksum, each
#     keeping its own second bucket on the same server: a first copy;
#   - BENCH_ROUNDS rounds (default 3), each: 1% of the objects changed (40% of those overwritten at
#     the same size, 30% deleted, 30% added), roadie's backup of it (time, and bytes stored against
#     the changed bytes), and the three mirrors again in an order that rotates; the medians count;
#     then `roadie mirror --check` says what each left different (mc compares sizes only, so it
#     misses the same-size overwrites);
#   - a bucket of BENCH_LIST_KEYS tiny objects (default 1,000,000; made with MinIO's
#     snowball upload, tar archives extracted server-side): roadie's first backup of it (one GET
#     per object) and its second (a listing merged with the parent, no GET), peak RSS of each.
# Goals: full backup <= 1.0x the faster of rclone and mc; second backup <= 0.1x the full one's
# time and stored bytes <= 1.5x the changed bytes; peak RSS <= 400 MB in every roadie run; mirror
# after 1% changed <= 1.0x the faster of mc mirror and rclone sync --checksum.
#
# Environment: BENCH_DIR (default /tmp/roadie-bench-bucket, removed at the end unless KEEP=1),
# BENCH_OBJECTS, BENCH_SIZE_MB, BENCH_ROUNDS, BENCH_LIST_KEYS (0 skips that part), BENCH_PARTS (all,
# the default, or mirror: only the mirror runs and the data they need). Installs rclone, curl
# (7.75+, for --aws-sigv4), python3 and GNU time when missing (Debian).
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
BENCH_DIR=${BENCH_DIR:-/tmp/roadie-bench-bucket}
BENCH_OBJECTS=${BENCH_OBJECTS:-10000}
BENCH_SIZE_MB=${BENCH_SIZE_MB:-2048}
BENCH_LIST_KEYS=${BENCH_LIST_KEYS:-1000000}
KEEP=${KEEP:-0}
BENCH_PARTS=${BENCH_PARTS:-all}
[[ $BENCH_PARTS == all || $BENCH_PARTS == mirror ]] || { echo "bench: BENCH_PARTS is all or mirror" >&2; exit 2; }
roadie=$root/roadie
# shellcheck source=lib.sh
. "$root/bench/lib.sh"
eval "bench_$(declare -f measure)"
# shellcheck source=../scripts/lib/apt.sh
. "$root/scripts/lib/apt.sh"

roadie_apt_install rclone curl python3 time
for tool in python3 curl rclone /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing" >&2; exit 1; }
done
minio=$("$root/scripts/test-servers" path minio)
mc=$("$root/scripts/test-servers" path mc)
log "building roadie"
"$roadie" version >&2

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res"
cd "$BENCH_DIR"
minio_pid=
cleanup() {
  # Closing the server's standard input stops it (scripts/test-servers run).
  exec 9>&- 2>/dev/null || true
  [[ -n $minio_pid ]] && wait "$minio_pid" 2>/dev/null || true
  if [[ $KEEP == 1 ]]; then echo "bench: kept $BENCH_DIR" >&2; else rm -rf "$BENCH_DIR"; fi
}
trap cleanup EXIT

# --- server ---------------------------------------------------------------
mkfifo minio.stdin
"$root/scripts/test-servers" run minio "$BENCH_DIR/minio" <minio.stdin >minio.env 2>minio.log &
minio_pid=$!
exec 9>minio.stdin
for _ in $(seq 600); do
  [[ $(wc -l <minio.env) -ge 4 ]] && break
  kill -0 "$minio_pid" 2>/dev/null || { cat minio.log >&2; exit 1; }
  sleep 0.2
done
# shellcheck disable=SC1091
. ./minio.env
export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
export MC_CONFIG_DIR=$BENCH_DIR/mc MC_HOST_m=${AWS_ENDPOINT_URL%%://*}://$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY@${AWS_ENDPOINT_URL#*://}
# The server is plain http: a CA bundle of the environment only makes rclone's old AWS SDK fail.
unset AWS_CA_BUNDLE
export RCLONE_CONFIG_M_TYPE=s3 RCLONE_CONFIG_M_PROVIDER=Minio RCLONE_CONFIG_M_ENDPOINT=$AWS_ENDPOINT_URL \
  RCLONE_CONFIG_M_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_M_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
  RCLONE_CONFIG_M_REGION=$AWS_REGION
log "MinIO at $AWS_ENDPOINT_URL"

# The server's own CPU seconds during each measured step (NAME.scpu): client and server share the
# cores, so a step's wall time is bounded below by (client CPU + server CPU) / cores.
minio_server=$(pgrep -f "minio server .*$BENCH_DIR/minio" | head -n 1 || true)
server_cpu() {
  [[ -n $minio_server && -r /proc/$minio_server/stat ]] || { echo 0; return; }
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$minio_server/stat"
}
measure() {
  local name=$1 before
  before=$(server_cpu)
  bench_measure "$@" || return 1
  put "$name.scpu" "$(awk -v a="$before" -v b="$(server_cpu)" 'BEGIN { printf "%.2f", b - a }')"
}

# --- data -----------------------------------------------------------------
log "generating $BENCH_OBJECTS objects, $BENCH_SIZE_MB MiB"
python3 - gen "$BENCH_OBJECTS" "$BENCH_SIZE_MB" <<'EOF'
import base64, math, os, random, sys
out, n, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) << 20
rnd = random.Random(42)
raw = [math.exp(rnd.uniform(math.log(256), math.log(16 << 20))) for _ in range(n)]
scale = total / sum(raw)
sizes = [max(1, int(s * scale)) for s in raw]
sizes[0] += total - sum(sizes)
for i, size in enumerate(sizes):
    d = os.path.join(out, "d%02d" % (i % 37), "s%d" % (i % 5))
    os.makedirs(d, exist_ok=True)
    data = os.urandom(size) if i % 2 else base64.b64encode(os.urandom(size * 3 // 4 + 3))[:size]
    with open(os.path.join(d, "object-%05d.bin" % i), "wb") as f:
        f.write(data)
EOF
"$mc" mb -q m/src >&2
"$mc" cp -q -r gen/ m/src/ >/dev/null
rm -rf gen
bytes=$("$mc" du --json m/src | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')
objects=$("$mc" ls -r --json m/src | wc -l)
log "bucket src: $objects objects, $bytes bytes"

# The launcher lowers a backup's CPU priority by 10 (ROADIE_NICE): off, so that roadie, rclone and mc
# all run at the priority the bench was started with (on a shared machine that decides the result).
export ROADIE_REPOSITORY=$BENCH_DIR/repo ROADIE_PASSWORD=bench ROADIE_NICE=0

# --- full copies ----------------------------------------------------------
if [[ $BENCH_PARTS == all ]]; then
sync
measure rclone.sync rclone sync m:src "$BENCH_DIR/rclone-dst"
rm -rf "$BENCH_DIR/rclone-dst"
"$mc" mb -q m/mirror >&2
measure mc.mirror "$mc" mirror -q m/src m/mirror
"$mc" rb -q --force m/mirror >&2

"$roadie" init >&2
sync
measure roadie.full "$roadie" backup bucket s3://src --json
fi
json() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["stats"][sys.argv[2]])' "res/$1.out" "$2"; }

# --- mirrors: first copies ---------------------------------------------------
# Three second buckets on the same server, one per tool; each tool copies server-side (same server,
# same credentials). These first copies are shown but have no goal.
"$mc" mb -q m/dst-mc >&2
measure mc.mirror.first "$mc" mirror -q --overwrite --remove m/src m/dst-mc
measure rclone.mirror.first rclone sync --checksum m:src m:dst-rclone
measure roadie.mirror.first "$roadie" mirror --delete --json s3://src s3://dst-roadie

# --- 1% changed, in rounds -------------------------------------------------
# BENCH_ROUNDS rounds, each: 1% of the objects changed (a new choice each round), roadie's backup
# of the change, then the three mirrors in an order that rotates with the round. The report gives
# each round and the median, since one run of a second-long step on 2 shared cores varies by 30%.
change_one_percent() {
  log "round $1: changing 1% of the objects"
  "$mc" ls -r --json m/src | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    print(o["key"], o["size"])' >objects.txt
  python3 - objects.txt change "$1" <<'EOF' >"res/changed.$1"
import base64, os, random, sys
lines = [l.split() for l in open(sys.argv[1])]
rnd = random.Random(7 * int(sys.argv[3]))
picked = rnd.sample(lines, max(3, len(lines) // 100))
k = len(picked)
over, gone, new = picked[: k * 4 // 10], picked[k * 4 // 10 : k * 7 // 10], picked[k * 7 // 10 :]
os.makedirs(sys.argv[2] + "/put", exist_ok=True)
changed = 0
with open(sys.argv[2] + "/rm.txt", "w") as rm:
    for key, size in gone:
        rm.write(key + "\n")
for i, (key, size) in enumerate(over + new):
    size = int(size)
    name = key if i < len(over) else "added/r%d-object-%05d.bin" % (int(sys.argv[3]), i)
    path = os.path.join(sys.argv[2], "put", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    changed += size
print(changed)
EOF
  "$mc" cp -q -r change/put/ m/src/ >/dev/null
  while read -r key; do "$mc" rm -q "m/src/$key" >/dev/null; done <change/rm.txt
  rm -rf change
  sync
}
mirror_step() {
  case $1 in
    mc) measure "mc.mirror.1pct.$2" "$mc" mirror -q --overwrite --remove m/src m/dst-mc ;;
    rclone) measure "rclone.mirror.1pct.$2" rclone sync --checksum m:src m:dst-rclone ;;
    roadie) measure "roadie.mirror.1pct.$2" "$roadie" mirror --delete --json s3://src s3://dst-roadie ;;
  esac
}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
tools=(mc rclone roadie)
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
  change_one_percent "$r"
  if [[ $BENCH_PARTS == all ]]; then measure "roadie.incr.$r" "$roadie" backup bucket s3://src --json; fi
  # The backup above listed the source last: its listing is as warm for each tool.
  for ((i = 0; i < 3; i++)); do mirror_step "${tools[$(((i + r) % 3))]}" "$r"; done
done
for tool in mc rclone roadie; do
  # Exit 1: they differ; the report says how.
  "$roadie" mirror --check --json s3://src "s3://dst-$tool" >"res/check.$tool.json" || [[ $? == 1 ]]
done

# --- many keys --------------------------------------------------------------
if ((BENCH_LIST_KEYS > 0)) && [[ $BENCH_PARTS == all ]]; then
  log "making a bucket of $BENCH_LIST_KEYS tiny objects (snowball uploads of 10,000 each)"
  "$mc" mb -q m/many >&2
  python3 - "$BENCH_LIST_KEYS" <<'EOF'
import io, os, sys, tarfile
n, per = int(sys.argv[1]), 10000
for t in range((n + per - 1) // per):
    with tarfile.open("many-%04d.tar" % t, "w") as tar:
        for i in range(t * per, min(n, (t + 1) * per)):
            data = b"%d" % i
            info = tarfile.TarInfo("k%02d/%08d" % (i % 97, i))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
EOF
  ls many-*.tar | xargs -P 2 -I{} curl -sS -f --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "X-Amz-Meta-Snowball-Auto-Extract: true" \
    -T {} "$AWS_ENDPOINT_URL/many/{}"
  rm -f many-*.tar
  sync
  measure roadie.many1 "$roadie" backup bucket s3://many --json
  measure roadie.many2 "$roadie" backup bucket s3://many --json
fi

# --- report ---------------------------------------------------------------
python3 - "$BENCH_DIR/res" "$objects" "$bytes" "$BENCH_ROUNDS" "$BENCH_LIST_KEYS" "$(nproc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import json, os, statistics, sys
res, objects, size, rounds, keys, cpus, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
def value(name, ext):
    p = os.path.join(res, name + "." + ext)
    return float(open(p).read()) if os.path.exists(p) else None
def get(name, ext):
    """A step's figure; for a step run in rounds (NAME.1, NAME.2, ...) the median of the rounds."""
    v = value(name, ext)
    if v is not None:
        return v
    vs = [value("%s.%d" % (name, r), ext) for r in range(1, rounds + 1)]
    vs = [v for v in vs if v is not None]
    return statistics.median(vs) if vs else None
def per_round(name, ext="s"):
    return " / ".join("%.2f" % value("%s.%d" % (name, r), ext) for r in range(1, rounds + 1))
def stats(name):
    return json.load(open(os.path.join(res, name + ".out")))["stats"]
changed = [int(open(os.path.join(res, "changed.%d" % r)).read()) for r in range(1, rounds + 1)]
mib = size / 1048576
print()
print("bucket bench: %d objects, %.0f MiB, MinIO (single drive) on loopback, %s CPUs, load %s" % (objects, mib, cpus, load))
print()
row = "%-40s %9s %9s %10s %8s %10s"
backups = get("roadie.full", "s") is not None
if backups: print(row % ("run", "wall s", "MiB/s", "peak RSS", "CPU s", "server CPU"))
for name, label in (("rclone.sync", "rclone sync to a directory"), ("mc.mirror", "mc mirror to a second bucket"),
                    ("roadie.full", "roadie backup bucket (full)"), ("roadie.incr", "roadie backup bucket (1% changed)*"),
                    ("roadie.many1", "roadie backup, %d keys, first" % keys), ("roadie.many2", "roadie backup, %d keys, again" % keys)):
    s = get(name, "s") if backups else None
    if s is None:
        continue
    rss = get(name, "rss") / 1024
    print(row % (label, "%.2f" % s, "%.0f" % (mib / s) if not name.startswith("roadie.many") else "-", "%.0f MiB" % rss,
                 "%.2f" % get(name, "cpu"), "%.2f" % (get(name, "scpu") or 0)))
def goal(name, v, limit):
    print("%-52s %7.2f   goal <= %-5s %s" % (name, v, limit, "PASS" if v <= limit else "MISS"))
if backups:
    full = stats("roadie.full")
    incrs = [stats("roadie.incr.%d" % r) for r in range(1, rounds + 1)]
    print()
    print("full backup: %.0f MiB read, %.0f MiB stored" % (full["bytesRead"] / 1048576, full["bytesAdded"] / 1048576))
    for r, (incr, c) in enumerate(zip(incrs, changed), 1):
        print("1%% changed, round %d: %.2f s, %.1f MiB read, %.1f MiB stored for %.1f MiB changed"
              % (r, value("roadie.incr.%d" % r, "s"), incr["bytesRead"] / 1048576, incr["bytesAdded"] / 1048576, c / 1048576))
    print()
    faster = min(get("rclone.sync", "s"), get("mc.mirror", "s"))
    goal("full backup / faster of rclone sync and mc mirror", get("roadie.full", "s") / faster, 1.0)
    goal("full backup / rclone sync", get("roadie.full", "s") / get("rclone.sync", "s"), 1.0)
    goal("second backup / full backup (time, median)", get("roadie.incr", "s") / get("roadie.full", "s"), 0.1)
    goal("second backup stored / changed bytes (median)",
         statistics.median(i["bytesAdded"] / c for i, c in zip(incrs, changed)), 1.5)
    peak = max(value(n, "rss") for n in ["roadie.full", "roadie.many1", "roadie.many2"]
               + ["roadie.incr.%d" % r for r in range(1, rounds + 1)] if value(n, "rss")) / 1000
    goal("peak RSS of roadie, MB", peak, 400)

print()
print(row % ("mirror run", "wall s", "CPU s", "peak RSS", "", "server CPU"))
for name, label in (("mc.mirror.first", "mc mirror, first copy"), ("rclone.mirror.first", "rclone sync --checksum, first"),
                    ("roadie.mirror.first", "roadie mirror, first copy"), ("mc.mirror.1pct", "mc mirror, 1% changed*"),
                    ("rclone.mirror.1pct", "rclone sync --checksum, 1% changed*"),
                    ("roadie.mirror.1pct", "roadie mirror, 1% changed*")):
    print(row % (label, "%.2f" % get(name, "s"), "%.2f" % get(name, "cpu"), "%.0f MiB" % (get(name, "rss") / 1024), "",
                 "%.2f" % (get(name, "scpu") or 0)))
print()
for tool in ("mc", "rclone", "roadie"):
    c = json.load(open(os.path.join(res, "check.%s.json" % tool)))["counts"]
    print("left different by %-7s missing %d, extra %d, different %d (of %d equal)"
          % (tool + ":", c["missing"], c["extra"], c["different"], c["equal"]))
m = json.load(open(os.path.join(res, "roadie.mirror.1pct.%d.out" % rounds)))["counts"]
print("roadie mirror, 1%% changed (round %d): %d copied, %d updated, %d deleted" % (rounds, m["copied"], m["updated"], m["deleted"]))
print("* the median of %d rounds, each after another 1%% changed; the rounds, in seconds:" % rounds)
for name in (["roadie.incr"] if backups else []) + ["mc.mirror.1pct", "rclone.mirror.1pct", "roadie.mirror.1pct"]:
    print("  %-22s %s" % (name, per_round(name)))
print()
faster = min(get("mc.mirror.1pct", "s"), get("rclone.mirror.1pct", "s"))
goal("mirror after 1% / faster of mc mirror and rclone", get("roadie.mirror.1pct", "s") / faster, 1.0)
goal("mirror after 1% / mc mirror", get("roadie.mirror.1pct", "s") / get("mc.mirror.1pct", "s"), 1.0)
goal("mirror after 1% / rclone sync --checksum", get("roadie.mirror.1pct", "s") / get("rclone.mirror.1pct", "s"), 1.0)
EOF
