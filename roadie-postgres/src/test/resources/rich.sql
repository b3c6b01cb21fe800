-- A database that exercises what a logical backup must bring back exactly.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SCHEMA "Festival Ops";
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text,
  created timestamptz NOT NULL DEFAULT now(),
  mood mood,
  tags text[],
  profile jsonb,
  avatar bytea,
  score double precision,
  amount numeric(12, 2),
  name_upper text GENERATED ALWAYS AS (upper(name)) STORED
);
CREATE TABLE festivals (id serial PRIMARY KEY, name text NOT NULL, starts date, span tstzrange, location point);
CREATE TABLE tickets (
  id uuid PRIMARY KEY,
  festival_id int NOT NULL REFERENCES festivals(id),
  user_id bigint REFERENCES users(id),
  price numeric, sold_at timestamp, note text
) ;
CREATE INDEX tickets_user_idx ON tickets (user_id);
CREATE TABLE "Festival Ops"."Stage.Plan" ("Id" int PRIMARY KEY, "Mixed Case" text, "quo""te" text);
CREATE TABLE measurements (id int, at date NOT NULL, v real) PARTITION BY RANGE (at);
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);
CREATE TABLE secrets (id int PRIMARY KEY, owner text, body text);
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON secrets USING (owner = current_user);
CREATE TABLE docs (id int PRIMARY KEY, blob oid);
CREATE TABLE empty_table (id int);
CREATE TABLE no_columns ();
CREATE SEQUENCE standalone_seq START 100;
CREATE MATERIALIZED VIEW user_counts AS SELECT mood, count(*) AS n FROM users GROUP BY mood;
CREATE VIEW recent_tickets AS SELECT * FROM tickets WHERE sold_at > '2025-01-01';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, 'x'); RETURN NEW; END $$;
CREATE TRIGGER tickets_touch BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION touch();
COMMENT ON TABLE users IS 'people';

INSERT INTO users (email, name, created, mood, tags, profile, avatar, score, amount)
SELECT 'u' || g || '@example.org', CASE WHEN g % 7 = 0 THEN NULL ELSE 'User ' || g || E' tab\there\nnewline \\ back' END,
       '2025-01-01 00:00:00+00'::timestamptz + g * interval '37 minutes',
       (ARRAY['sad','ok','happy'])[1 + g % 3]::mood, ARRAY['a' || g, NULL, 'c "q"'],
       jsonb_build_object('n', g, 'nested', jsonb_build_object('x', g * 1.5, 'ü', 'ñ')),
       decode(md5(g::text), 'hex'), g / 3.0::float8 + 1e-17, g * 1.01
FROM generate_series(1, 3000) g;
INSERT INTO festivals (name, starts, span, location)
SELECT 'Fest ' || g, date '2025-06-01' + g, tstzrange(now(), now() + interval '3 days'), point(g, -g) FROM generate_series(1, 20) g;
INSERT INTO tickets SELECT md5(g::text)::uuid, 1 + g % 20, 1 + g % 3000, g % 250, timestamp '2025-01-01' + g * interval '1 minute', NULL
FROM generate_series(1, 20000) g;
INSERT INTO "Festival Ops"."Stage.Plan" VALUES (1, 'Main', 'a"b'), (2, E'Ünïcödé \u2603', NULL);
INSERT INTO measurements SELECT g, date '2025-06-01' + (g % 400), g * 0.5 FROM generate_series(1, 5000) g;
INSERT INTO cache SELECT 'k' || g, repeat('v', g) FROM generate_series(1, 100) g;
INSERT INTO secrets VALUES (1, 'alice', 'a secret'), (2, 'bob', 'b secret');
INSERT INTO docs VALUES (1, lo_from_bytea(0, 'large object one')), (2, lo_from_bytea(0, decode(repeat('00ff', 50000), 'hex')));
INSERT INTO no_columns SELECT FROM generate_series(1, 3);
SELECT setval('standalone_seq', 4242);
SELECT nextval('festivals_id_seq');
REFRESH MATERIALIZED VIEW user_counts;
