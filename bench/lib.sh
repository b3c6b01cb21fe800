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

# festival_sql USERS TICKETS: the SQL that fills a database with the festival-shaped bench data
# (festivals, users, tickets with uuids, emails, timestamps and text; foreign keys and indexes),
# about 600 MiB of table data for 630,000 users and 3,780,000 tickets.
festival_sql() {
  cat <<SQL
CREATE FUNCTION words(n int, seed int) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$
  SELECT string_agg((ARRAY['loud','sunny','crowd','stage','encore','bass','lights','muddy','camping','headliner',
    'queue','wristband','friends','dance','rain','festival','night','sunset','vinyl','drums','amazing','late',
    'shuttle','food','truck','merch','acoustic','tent','glitter','backstage'])[1 + abs(hashint4(seed * 31 + i)) % 30], ' ')
  FROM generate_series(1, n) i \$\$;
CREATE TABLE festivals (id int PRIMARY KEY, name text NOT NULL, city text, starts date, ends date, capacity int);
INSERT INTO festivals SELECT g, 'Festival ' || g, (ARRAY['Berlin','Lisbon','Gent','Roskilde','Bilbao'])[1 + g % 5],
  date '2024-05-01' + g * 3, date '2024-05-04' + g * 3, 10000 + g * 100 FROM generate_series(1, 400) g;
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text, country char(2), created timestamptz NOT NULL,
  marketing_opt_in boolean, bio text);
INSERT INTO users SELECT g, 'user' || g || '@' || (ARRAY['gmail.com','proton.me','example.org','web.de'])[1 + g % 4],
  initcap(words(2, g)), (ARRAY['DE','PT','BE','DK','ES','NL','FR'])[1 + g % 7],
  timestamptz '2023-01-01' + g * interval '13 seconds', g % 3 = 0, words(8 + g % 12, g)
FROM generate_series(1, $1) g;
CREATE TABLE tickets (id uuid PRIMARY KEY, festival_id int NOT NULL REFERENCES festivals, user_id bigint NOT NULL REFERENCES users,
  kind text NOT NULL, price_cents int NOT NULL, purchased timestamptz NOT NULL, scanned timestamptz, holder_email text,
  note text);
INSERT INTO tickets SELECT gen_random_uuid(), 1 + g % 400, 1 + g % $1,
  (ARRAY['day','weekend','vip','camping'])[1 + g % 4], 4900 + (g % 200) * 100,
  timestamptz '2024-01-01' + g * interval '7 seconds', CASE WHEN g % 5 > 0 THEN timestamptz '2024-06-01' + g * interval '3 seconds' END,
  'user' || (1 + g % $1) || '@example.org', CASE WHEN g % 4 = 0 THEN words(5 + g % 10, g) END
FROM generate_series(1, $2) g;
CREATE INDEX tickets_user_idx ON tickets (user_id);
CREATE INDEX tickets_festival_idx ON tickets (festival_id, purchased);
CREATE INDEX users_email_idx ON users (email);
VACUUM ANALYZE;
SQL
}
