# bench/lib.sh: helpers shared by the benchmark scripts (sourced; needs $BENCH_DIR).

log() { printf '== %s\n' "$*" >&2; }

# Results are files under $BENCH_DIR/res/, so steps run in subshells can report them.
put() { printf '%s\n' "$2" >"$BENCH_DIR/res/$1"; }
get() { cat "$BENCH_DIR/res/$1" 2>/dev/null || true; }

# measure NAME CMD...: runs CMD (stdout to NAME.out), records NAME.s (wall
# seconds), NAME.rss (peak RSS, KiB) and NAME.cpu (user + system seconds);
# fails if CMD fails.
measure() {
  local name=$1
  shift
  log "$name: $*"
  if ! /usr/bin/time -f '%e %M %U %S' -o "$BENCH_DIR/res/$name.time" "$@" >"$BENCH_DIR/res/$name.out" 2>"$BENCH_DIR/res/$name.err"; then
    echo "bench: $name failed:" >&2
    tail -n 20 "$BENCH_DIR/res/$name.err" >&2
    return 1
  fi
  local s rss u sys
  read -r s rss u sys < <(tail -n 1 "$BENCH_DIR/res/$name.time")
  put "$name.s" "$s"
  put "$name.rss" "$rss"
  put "$name.cpu" "$(awk -v u="$u" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  log "$name: ${s}s, peak RSS $((rss / 1024)) MiB"
}

dusize() { du -sb "$1" | cut -f1; }

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Runs a command as the postgres user when running as root (clusters must not run as root).
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Sets pgbin to the newest /usr/lib/postgresql/*/bin, or fails.
find_pgbin() {
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -x $pgbin/initdb ]] || { echo "bench: PostgreSQL binaries not found under /usr/lib/postgresql/*/bin" >&2; exit 1; }
}
