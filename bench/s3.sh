#!/usr/bin/env bash
# bench/s3.sh: roadie's S3 backend against its local backend, one run.
#
# On one generated file (BENCH_SIZE_MB, default 1024 MiB; half log/CSV-like
# text, half random bytes, in 4 MiB blocks: the generator of bench/engine.sh)
# it measures wall time of `roadie backup file` and `roadie restore` into
#   - a local directory, and
#   - s3://bench/repo on s3proxy (filesystem store, same disk) on loopback,
#     and again s3://bench/counted through roadie-s3's FaultProxy (no faults
#     armed), which counts the HTTP requests (and costs some CPU: the timed
#     goal uses the direct run).
# It reports S3 / local throughput (goal: >= 0.70) and the requests of the
# S3 backup per pack written (goal: <= 1.2), plus requests per GiB.
#
# Both servers run on this machine and share its CPUs with roadie: on a small
# machine the S3 numbers include s3proxy's own CPU (MD5 of every object,
# filesystem writes) and the proxy's copying. So it also measures the ceiling:
# s3proxy alone taking the same number of pack-sized objects (two PUTs at a
# time, as roadie uploads) and serving them back in 4 MiB ranged GETs (two at
# a time, as roadie's restore reads them), from bench/S3Ceiling.java (no roadie
# work, UNSIGNED-PAYLOAD as roadie sends), with the CPU seconds s3proxy needs. On a CPU-bound machine
# roadie's S3 run cannot beat local time + server CPU / cores, which gives the
# best S3/local ratio this machine allows; it is printed next to the goal.
#
# Environment: BENCH_DIR (default /tmp/roadie-bench-s3, removed at the end
# unless KEEP=1), BENCH_SIZE_MB (default 1024), S3PROXY_JAVA_OPTS (default
# -Xmx1g: s3proxy's JVM options; serial GC or C1-only made no measurable
# difference to its CPU).
set -euo pipefail

root=$(readlink -f -- "${BASH_SOURCE[0]}")
root=${root%/*/*}
# shellcheck source=../scripts/lib/jdk.sh
. "$root/scripts/lib/jdk.sh"
roadie_find_jdk || exit 1
java=$ROADIE_JDK/bin/java

BENCH_DIR=${BENCH_DIR:-/tmp/roadie-bench-s3}
BENCH_SIZE_MB=${BENCH_SIZE_MB:-1024}
KEEP=${KEEP:-0}
S3PROXY_JAVA_OPTS=${S3PROXY_JAVA_OPTS:--Xmx1g}
roadie=$root/roadie
# shellcheck source=lib.sh
. "$root/bench/lib.sh"

for tool in python3 curl sha256sum /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing" >&2; exit 1; }
done

log "building roadie and roadie-s3's test classes (s3proxy jar, FaultProxy)"
"$roadie" version >&2
(cd "$root" && JAVA_HOME=$ROADIE_JDK mvn -q -B -Dstyle.color=never -DskipTests -pl roadie-s3 -am test-compile) 2>&1 |
  sed 's/\x1b\[0m//g' | grep -v '^WARNING' >&2 || true
s3proxy_jar=$root/roadie-s3/target/s3proxy/s3proxy.jar
[[ -f $s3proxy_jar ]] || { echo "bench: no $s3proxy_jar" >&2; exit 1; }

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/res" "$BENCH_DIR/s3data"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $KEEP == 1 ]]; then echo "bench: kept $BENCH_DIR" >&2; else rm -rf "$BENCH_DIR"; fi
}
trap cleanup EXIT
cd "$BENCH_DIR"


# --- servers --------------------------------------------------------------
port=$(free_port)
cat >s3proxy.properties <<EOF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=bench-access
s3proxy.credential=bench-secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$BENCH_DIR/s3data
EOF
read -r -a s3proxy_opts <<<"$S3PROXY_JAVA_OPTS"
"$java" "${s3proxy_opts[@]}" -DLOG_LEVEL=warn -jar "$s3proxy_jar" --properties s3proxy.properties >s3proxy.log 2>&1 &
pids+=($!)
s3proxy_pid=$!
# CPU seconds s3proxy has used so far (it shares this machine's CPUs with roadie).
s3proxy_cpu() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.1f\n", ($14 + $15) / t }' "/proc/$s3proxy_pid/stat"; }
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.2
done
"$java" -Dfaultproxy.log="$BENCH_DIR/requests.log" -cp "$root/roadie-s3/target/test-classes:$root/roadie-cli/target/dist/lib/*" dev.roadie.s3.FaultProxy "$port" >proxy.port 2>proxy.log &
pids+=($!)
for _ in $(seq 100); do
  [[ -s proxy.port ]] && break
  sleep 0.1
done
proxy=http://127.0.0.1:$(head -n1 proxy.port)
log "s3proxy on port $port, counting proxy at $proxy"
stats() { curl -s "$proxy/__roadie_proxy/stats"; }
requests() { stats | sed -n 's/^requests=\([0-9]*\).*/\1/p'; }

# --- data -----------------------------------------------------------------
log "generating ${BENCH_SIZE_MB} MiB (half text, half random, 4 MiB blocks)"
data=$BENCH_DIR/data.bin
python3 - "$data" "$BENCH_SIZE_MB" <<'EOF'
import os, random, sys
out, size_mb = sys.argv[1], int(sys.argv[2])
block = 4 << 20
rnd = random.Random(42)
words = ("request user session cache miss hit backend query table index commit rollback checkpoint vacuum "
         "replica primary timeout retry connection pool worker job queue snapshot chunk pack blob upload "
         "bucket object region latency error warning started finished order invoice payment").split()
def text_block(n):
    parts, size, t = [], 0, 1_700_000_000
    while size < n:
        t += rnd.randrange(50)
        line = "%d %s [%s-%d] %s %s id=%d took=%dms\n" % (t, rnd.choice(("INFO", "WARN", "DEBUG")),
            rnd.choice(words), rnd.randrange(16), rnd.choice(words), rnd.choice(words), rnd.randrange(10**7), rnd.randrange(2000))
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
sha=$(sha256sum "$data" | cut -d' ' -f1)
cat "$data" >/dev/null

check_restore() {
  local f
  f=$(find "$1" -type f -name data.bin -print -quit)
  [[ -n $f && $(sha256sum "$f" | cut -d' ' -f1) == "$sha" ]] || { echo "bench: $1: restored data differs" >&2; exit 1; }
  rm -rf "$1"
}

export ROADIE_PASSWORD=bench
# --- local ----------------------------------------------------------------
export ROADIE_REPOSITORY=$BENCH_DIR/local-repo
"$roadie" init >&2
measure local.backup "$roadie" backup file "$data"
measure local.restore "$roadie" restore latest --target "$BENCH_DIR/restore-local"
check_restore "$BENCH_DIR/restore-local"

# --- ceiling: s3proxy alone, same objects, no roadie --------------------------
# As many objects as the local backup wrote packs, of their mean size. This also warms s3proxy up
# (a server in production is long-running, its JIT done): roadie's S3 runs below do not pay for
# the server's JIT, and neither does the ceiling (S3Ceiling warms up before it times).
n_obj=$(find "$BENCH_DIR/local-repo/data" -type f | wc -l)
obj_size=$(($(find "$BENCH_DIR/local-repo/data" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }') / n_obj))
log "ceiling: s3proxy alone takes $n_obj objects of $obj_size bytes, then serves them in 4 MiB ranges"
AWS_ACCESS_KEY_ID=bench-access AWS_SECRET_ACCESS_KEY=bench-secret "$java" "$root/bench/S3Ceiling.java" "http://127.0.0.1:$port" ceiling objs put "$n_obj" "$obj_size" 2 $((4 << 20)) "$s3proxy_pid" >res/ceiling.put
AWS_ACCESS_KEY_ID=bench-access AWS_SECRET_ACCESS_KEY=bench-secret "$java" "$root/bench/S3Ceiling.java" "http://127.0.0.1:$port" ceiling objs get "$n_obj" "$obj_size" 2 $((4 << 20)) "$s3proxy_pid" >res/ceiling.get
log "ceiling: put $(cat res/ceiling.put), get $(cat res/ceiling.get) (wall s, s3proxy CPU s)"

# --- S3 -------------------------------------------------------------------
# Timed: straight to s3proxy. Counted: a second repository through the proxy.
export AWS_ACCESS_KEY_ID=bench-access AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export ROADIE_REPOSITORY=s3://bench/repo AWS_ENDPOINT_URL=http://127.0.0.1:$port
"$roadie" init >&2
cat "$data" >/dev/null
c0=$(s3proxy_cpu)
measure s3.backup "$roadie" backup file "$data"
c1=$(s3proxy_cpu)
measure s3.restore "$roadie" restore latest --target "$BENCH_DIR/restore-s3"
c2=$(s3proxy_cpu)
log "s3proxy CPU: $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }') s during the backup, $(awk -v a="$c1" -v b="$c2" 'BEGIN { print b - a }') s during the restore"
put_cpu() { printf '%s %s\n' "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" "$(awk -v a="$c1" -v b="$c2" 'BEGIN { print b - a }')" >res/s3proxy.cpu; }
put_cpu
check_restore "$BENCH_DIR/restore-s3"

export ROADIE_REPOSITORY=s3://bench/counted AWS_ENDPOINT_URL=$proxy
"$roadie" init >&2
cat "$data" >/dev/null
r0=$(requests)
measure s3p.backup "$roadie" backup file "$data"
r1=$(requests)
log "requests of the S3 backup, by kind:"
tail -n "$((r1 - r0))" requests.log | sed -E 's#\?.*##; s#/bench/counted/([a-z]+)/.*#/\1/...#' | sort | uniq -c | sort -rn >&2
packs=$(find "$BENCH_DIR/s3data/bench/counted/data" -type f | wc -l)
measure s3p.restore "$roadie" restore latest --target "$BENCH_DIR/restore-s3p"
r2=$(requests)
check_restore "$BENCH_DIR/restore-s3p"
log "proxy: $(stats)"

python3 - "$size" "$(cat res/local.backup.s)" "$(cat res/local.restore.s)" "$(cat res/s3.backup.s)" \
  "$(cat res/s3.restore.s)" "$((r1 - r0))" "$((r2 - r1))" "$packs" "$(nproc)" \
  "$(cat res/s3p.backup.s)" "$(cat res/s3p.restore.s)" $(cat res/s3proxy.cpu) \
  "$(cat res/local.backup.cpu)" "$(cat res/local.restore.cpu)" "$(cat res/s3.backup.cpu)" "$(cat res/s3.restore.cpu)" \
  $(cat res/ceiling.put) $(cat res/ceiling.get) "$n_obj" <<'EOF'
import sys
(size, lb, lr, sb, sr, req_b, req_r, packs, cpus, pb, pr, cb, cr, lbc, lrc, sbc, src,
 put_s, put_cpu, get_s, get_cpu, n_obj) = (float(x) for x in sys.argv[1:])
mb, gib = size / 1048576, size / (1 << 30)
print()
print("S3 benchmark: %.0f MiB, half text / half random; s3proxy (filesystem) on loopback, %d CPUs" % (mb, cpus))
print()
row = "%-22s %10s %10s %12s %12s"
print(row % ("repository", "backup s", "MiB/s", "restore s", "MiB/s"))
print(row % ("local directory", "%.2f" % lb, "%.0f" % (mb / lb), "%.2f" % lr, "%.0f" % (mb / lr)))
print(row % ("s3://bench/repo", "%.2f" % sb, "%.0f" % (mb / sb), "%.2f" % sr, "%.0f" % (mb / sr)))
print(row % ("  via counting proxy", "%.2f" % pb, "%.0f" % (mb / pb), "%.2f" % pr, "%.0f" % (mb / pr)))
print("CPU seconds (user + system): roadie local %.1f / %.1f, roadie S3 %.1f / %.1f, s3proxy %.1f / %.1f (backup / restore)"
      % (lbc, lrc, sbc, src, cb, cr))
print()
print("ceiling: s3proxy alone takes %d objects in %.2f s using %.1f CPU s, serves them in %.2f s using %.1f CPU s"
      % (n_obj, put_s, put_cpu, get_s, get_cpu))
ceil_b = lb / (lb + put_cpu / cpus)
ceil_r = lr / (lr + get_cpu / cpus)
print("best S3/local this machine allows (local time + s3proxy's own CPU / %d cores): backup %.2f, restore %.2f"
      % (cpus, ceil_b, ceil_r))
print("roadie's S3/local against that ceiling: backup %.2f of it, restore %.2f of it"
      % ((lb / sb) / ceil_b, (lr / sr) / ceil_r))
print("by CPU (steadier when other work shares the machine): local roadie CPU / (S3 roadie + s3proxy CPU):"
      " backup %.2f, restore %.2f; ceiling by CPU: backup %.2f, restore %.2f"
      % (lbc / (sbc + cb), lrc / (src + cr), lbc / (lbc + put_cpu), lrc / (lrc + get_cpu)))
print()
print("S3 backup: %d requests for %d packs (%.0f requests per GiB written); restore: %d requests"
      % (req_b, packs, req_b / gib, req_r))
print()
def goal(name, v, op, limit):
    ok = v >= limit if op == ">=" else v <= limit
    print("%-40s %6.2f   goal %s %-5s %s" % (name, v, op, limit, "PASS" if ok else "MISS"))
goal("S3 / local backup throughput", lb / sb, ">=", 0.7)
goal("S3 / local restore throughput", lr / sr, ">=", 0.7)
goal("S3 backup requests / packs", req_b / packs, "<=", 1.2)
EOF
