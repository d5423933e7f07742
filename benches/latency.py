#!/usr/bin/env python3
"""What the lock-risky statements and their safe forms cost a running application (issue 25).

    python3 benches/latency.py                 # 1,000,000 rows, PostgreSQL and MariaDB
    python3 benches/latency.py --rows 50000    # a quick try
    python3 benches/latency.py --servers postgres --rate 200

For each server reachable on 127.0.0.1 (PostgreSQL :5432, MariaDB :3306) and each variant below,
the script makes a fresh database `qdm_latency`, upgrades it to the table's revision with an app
on the engine, fills the table with `--rows` rows by server-side SQL, and then:

1. starts a writer on its own connection (autocommit) that writes one row at a steady `--rate`,
   alternately inserting a new row and updating a random existing one, timing every write;
2. after `--baseline` seconds, runs the app's `upgrade <variant>` as a subprocess;
3. `--after` seconds after the upgrade ends, stops the writer.

A write's latency is counted from when it was due, not from when the writer got to send it: the
writer has one connection, so while one write is blocked the next ones wait too, as an
application's requests queue behind a blocked one. (Counting from the send would hide a stall
behind a single slow sample.) The table reports, for the writes due while the upgrade ran: how
many, their p99 (nearest rank) and worst latency, and how many took over 100 ms; the baseline
p99 is that of the writes due before the upgrade started.

The variants (one app, `target/bench/latency-app`, built once without LTO; revision `r0` creates
the table, and each variant is a branch of its own from `r0`, labelled, so upgrading to one
applies nothing of another):

- index, naive: `CREATE INDEX ... ON items (n)`;
- index, safe: PostgreSQL `CREATE INDEX CONCURRENTLY` in a `Transactional: false` revision;
  MariaDB `CREATE INDEX ... ALGORITHM=INPLACE LOCK=NONE`;
- column with a default, naive: PostgreSQL `ADD COLUMN c2 timestamptz NOT NULL DEFAULT
  clock_timestamp()` (a volatile default: the table is rewritten); MariaDB `ADD COLUMN c2 INT NOT
  NULL DEFAULT 7`, as written without clauses;
- column with a default, safe: PostgreSQL, what the build's warning suggests: the column without
  a default and `SET DEFAULT` (one revision), then in a `Transactional: false` revision the
  backfill in batches of `--batch` rows (one `UPDATE` each, by id range) and the `NOT NULL` the
  naive form had, without a scan under the table lock (`CHECK (c2 IS NOT NULL) NOT VALID`,
  `VALIDATE CONSTRAINT`, `SET NOT NULL`, the check dropped); the time is the whole upgrade.
  MariaDB: `ADD COLUMN ..., ALGORITHM=INSTANT`.

Each variant starts from the same table: rather than downgrading the previous variant (a dropped
PostgreSQL column stays in the rows until they are rewritten, a rewrite leaves the table
differently laid out), the database is made afresh and refilled for every variant. After the
fill the table is vacuumed and analysed (PostgreSQL, then a `CHECKPOINT`) or analysed (MariaDB).

The app's migrations target PostgreSQL and MySQL only (`Options::dialects`), so the build
rehearses nothing on SQLite (the `sqlite` feature stays on the app's engine dependency only
because the command line does not compile without it). The naive statements carry `-- lock
accepted:` comments so that the build does not warn of them, and so does the final `SET NOT
NULL` of the safe column (with `-- not breaking:`): the build warns of it though the validated
check spares the scan. The writer uses psycopg2 and PyMySQL from the benchmarks' virtual
environment (benches/peers.py).
"""

import argparse
import datetime
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from peers import BACKENDS, ROOT, TARGET, WORK  # noqa: E402

DB = "qdm_latency"
APP = "latency-app"
TABLE = "items"
SLOW = 0.100  # the target: the safe forms keep p99 under 100 ms


def header(rid, message, revises, extra=""):
    return (
        f"-- {message}\n--\n-- Revision ID: {rid}\n-- Revises: {revises}\n"
        f"-- Create Date: 2026-12-01 00:00:00\n{extra}\n"
    )


def revisions(rows, batch):
    """The app's migrations: file name -> text."""
    # The last batch is open-ended: it takes in the rows the writer inserted before the column was
    # added.
    fill = "".join(
        f"UPDATE {TABLE} SET c2 = clock_timestamp() WHERE id > {lo}"
        + (f" AND id <= {lo + batch}" if lo + batch < rows else "")
        + " AND c2 IS NULL;\n"
        for lo in range(0, rows, batch)
    )
    return {
        "r0.sql": header("r0", "the table the application writes to", "None") + (
            "-- +upgrade postgresql\n"
            f"CREATE TABLE {TABLE} (id BIGINT PRIMARY KEY, payload TEXT NOT NULL, n INTEGER NOT NULL);\n\n"
            "-- +upgrade mysql\n"
            f"CREATE TABLE {TABLE} (id BIGINT PRIMARY KEY, payload VARCHAR(255) NOT NULL, n INT NOT NULL) ENGINE=InnoDB;\n\n"
            f"-- +downgrade\nDROP TABLE {TABLE};\n"
        ),
        "ix_naive.sql": header("ix_naive", "index, naive", "r0", "-- Branch Labels: ix-naive\n") + (
            "-- +upgrade\n"
            "-- lock accepted: the naive form, measured by benches/latency.py\n"
            f"CREATE INDEX ix_items_n ON {TABLE} (n);\n\n"
            "-- +downgrade postgresql\nDROP INDEX ix_items_n;\n\n"
            f"-- +downgrade mysql\nDROP INDEX ix_items_n ON {TABLE};\n"
        ),
        "ix_safe.sql": header(
            "ix_safe", "index, safe", "r0", "-- Branch Labels: ix-safe\n-- Transactional: false\n"
        ) + (
            "-- +upgrade postgresql\n"
            f"CREATE INDEX CONCURRENTLY ix_items_n ON {TABLE} (n);\n\n"
            "-- +upgrade mysql\n"
            f"CREATE INDEX ix_items_n ON {TABLE} (n) ALGORITHM=INPLACE LOCK=NONE;\n\n"
            "-- +downgrade postgresql\nDROP INDEX CONCURRENTLY ix_items_n;\n\n"
            f"-- +downgrade mysql\nDROP INDEX ix_items_n ON {TABLE};\n"
        ),
        "col_naive.sql": header("col_naive", "column with a default, naive", "r0", "-- Branch Labels: col-naive\n") + (
            "-- +upgrade postgresql\n"
            "-- lock accepted: the naive form, measured by benches/latency.py\n"
            f"ALTER TABLE {TABLE} ADD COLUMN c2 timestamptz NOT NULL DEFAULT clock_timestamp();\n\n"
            "-- +upgrade mysql\n"
            f"ALTER TABLE {TABLE} ADD COLUMN c2 INT NOT NULL DEFAULT 7;\n\n"
            f"-- +downgrade\nALTER TABLE {TABLE} DROP COLUMN c2;\n"
        ),
        "col_safe.sql": header("col_safe", "column with a default, safe", "r0", "-- Branch Labels: col-safe\n") + (
            "-- +upgrade postgresql\n"
            f"ALTER TABLE {TABLE} ADD COLUMN c2 timestamptz;\n"
            f"ALTER TABLE {TABLE} ALTER COLUMN c2 SET DEFAULT clock_timestamp();\n\n"
            "-- +upgrade mysql\n"
            f"ALTER TABLE {TABLE} ADD COLUMN c2 INT NOT NULL DEFAULT 7, ALGORITHM=INSTANT;\n\n"
            f"-- +downgrade\nALTER TABLE {TABLE} DROP COLUMN c2;\n"
        ),
        "col_safe_fill.sql": header(
            "col_safe_fill", "column with a default, safe: backfill", "col_safe", "-- Transactional: false\n"
        ) + (
            "-- +upgrade postgresql\n"
            f"{fill}"
            f"ALTER TABLE {TABLE} ADD CONSTRAINT items_c2_not_null CHECK (c2 IS NOT NULL) NOT VALID;\n"
            f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT items_c2_not_null;\n"
            "-- not breaking: every row has a value and the column a default, so older code's inserts still work\n"
            "-- lock accepted: the validated check lets PostgreSQL skip the scan\n"
            f"ALTER TABLE {TABLE} ALTER COLUMN c2 SET NOT NULL;\n"
            f"ALTER TABLE {TABLE} DROP CONSTRAINT items_c2_not_null;\n\n"
            "-- +downgrade postgresql\n"
            f"ALTER TABLE {TABLE} ALTER COLUMN c2 DROP NOT NULL;\n"
        ),
    }


# (change, form, revision to upgrade to on PostgreSQL, on MariaDB)
VARIANTS = [
    ("index", "naive", "ix_naive", "ix_naive"),
    ("index", "safe", "ix_safe", "ix_safe"),
    ("column with default", "naive", "col_naive", "col_naive"),
    ("column with default", "safe", "col_safe_fill", "col_safe"),
]


def build_app(rows, batch):
    """The app on the engine with the migrations above, built in release mode without LTO."""
    app = WORK / "latency-app"
    migrations = app / "migrations"
    migrations.mkdir(parents=True, exist_ok=True)
    (app / "src").mkdir(exist_ok=True)
    wanted = revisions(rows, batch)
    for old in migrations.iterdir():
        if old.name not in wanted:
            old.unlink()
    files = {f"migrations/{name}": text for name, text in wanted.items()}
    engine = ROOT / "crates" / "quark-migrate"
    files |= {
        "Cargo.toml": (
            f'[package]\nname = "{APP}"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
            f'[dependencies]\nquark-migrate = {{ path = "{engine}", default-features = false, '
            'features = ["cli", "sqlite", "postgres", "mysql"] }\n\n'
            f'[build-dependencies]\nquark-migrate = {{ path = "{engine}", default-features = false }}\n\n'
            "[profile.release]\nstrip = true\n\n[workspace]\n"
        ),
        "build.rs": (
            "use quark_migrate::build::{Options, embed_migrations_with};\n"
            "use quark_migrate::revision::Dialect;\n\n"
            "fn main() {\n"
            "    let options = Options::default().dialects(&[Dialect::Postgresql, Dialect::Mysql]);\n"
            '    if let Err(e) = embed_migrations_with("migrations", &options) {\n'
            '        eprintln!("{e}");\n        std::process::exit(1);\n    }\n}\n'
        ),
        "src/main.rs": (
            "static MIGRATIONS: &[quark_migrate::EmbeddedFile] = quark_migrate::embed_migrations!();\n"
            "static SCHEMA: &[quark_migrate::SchemaFile] = quark_migrate::embed_schema!();\n"
            "fn main() -> std::process::ExitCode { quark_migrate::cli::main_with(MIGRATIONS, SCHEMA) }\n"
        ),
    }
    for name, text in files.items():
        path = app / name
        if not path.exists() or path.read_text() != text:  # unchanged files keep the build cached
            path.write_text(text)
    if not (app / "Cargo.lock").exists():
        shutil.copy(ROOT / "Cargo.lock", app / "Cargo.lock")
    peers.cargo(["build", "--offline", "--release"], app, quiet=False)
    return TARGET / "release" / APP


def connect(backend):
    if backend.name == "postgres":
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=DB)
        conn.autocommit = True
        return conn
    import pymysql

    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database=DB, autocommit=True)


def run_app(app, backend, *args):
    command = [str(app), "--database-connection", backend.url(DB, "ours"), "-q", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def seed(app, backend, rows):
    """A fresh database with the table at r0, filled with `rows` rows."""
    backend.fresh(DB)
    run_app(app, backend, "upgrade", "r0")
    conn = connect(backend)
    cur = conn.cursor()
    if backend.name == "postgres":
        cur.execute(
            f"INSERT INTO {TABLE} (id, payload, n) "
            "SELECT i, md5(i::text), (i::bigint * 7919) %% 100000 FROM generate_series(1, %s) AS i",
            (rows,),
        )
        cur.execute(f"VACUUM ANALYZE {TABLE}")
        cur.execute("CHECKPOINT")
    else:
        cur.execute(f"INSERT INTO {TABLE} (id, payload, n) SELECT seq, md5(seq), (seq * 7919) % 100000 FROM seq_1_to_{rows}")
        cur.execute(f"ANALYZE TABLE {TABLE}")
        cur.fetchall()
    cur.close()
    conn.close()


class Writer(threading.Thread):
    """One connection writing one row every 1/rate seconds: a new row, then an update of a random
    existing one, and so on. Each sample is (due, done, ok)."""

    def __init__(self, backend, rate, rows):
        super().__init__(daemon=True)
        self.backend, self.rate, self.rows = backend, rate, rows
        self.samples = []
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.error = None

    def run(self):
        try:
            conn = connect(self.backend)
            cur = conn.cursor()
            rng = random.Random(25)
            next_id = self.rows + 1
            k = 0
            self.ready.set()
            start = time.perf_counter()
            while True:
                due = start + k / self.rate
                wait = due - time.perf_counter()
                if (wait > 0 and self.stopping.wait(wait)) or self.stopping.is_set():
                    break
                ok = True
                try:
                    if k % 2 == 0:
                        cur.execute(
                            f"INSERT INTO {TABLE} (id, payload, n) VALUES (%s, %s, %s)",
                            (next_id, f"written {k}", rng.randrange(100000)),
                        )
                        next_id += 1
                    else:
                        cur.execute(
                            f"UPDATE {TABLE} SET n = n + 1, payload = %s WHERE id = %s",
                            (f"updated {k}", rng.randint(1, self.rows)),
                        )
                except Exception as e:  # a failed write counts, with its time
                    ok = False
                    print(f"  write {k} failed: {e}", file=sys.stderr)
                self.samples.append((due, time.perf_counter(), ok))
                k += 1
            conn.close()
        except Exception as e:
            self.error = e
            self.ready.set()


def p99(values):
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 99 // 100) - 1)] if ordered else None


def measure(app, backend, target, args):
    writer = Writer(backend, args.rate, args.rows)
    writer.start()
    writer.ready.wait()
    if writer.error:
        raise SystemExit(f"the writer could not start: {writer.error}")
    time.sleep(args.baseline)
    began = time.perf_counter()
    run_app(app, backend, "upgrade", target)
    ended = time.perf_counter()
    time.sleep(args.after)
    writer.stopping.set()
    writer.join()
    if writer.error:
        raise SystemExit(f"the writer failed: {writer.error}")
    before = [done - due for due, done, _ in writer.samples if due < began]
    during = [(done - due, ok) for due, done, ok in writer.samples if began <= due <= ended]
    latencies = [lat for lat, _ in during]
    return {
        "time": ended - began,
        "baseline": p99(before),
        "count": len(during),
        "p99": p99(latencies),
        "worst": max(latencies) if latencies else None,
        "slow": sum(lat > SLOW for lat in latencies),
        "failed": sum(not ok for _, ok in during),
    }


def fmt(seconds):
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.1f} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"


def query(backend, sql):
    conn = connect(backend)
    cur = conn.cursor()
    cur.execute(sql)
    rows = cur.fetchall()
    conn.close()
    return rows


def server_version(backend):
    if backend.name == "postgres":
        return "PostgreSQL " + query(backend, "SHOW server_version")[0][0].split(" ")[0]
    return "MariaDB " + query(backend, "SELECT version()")[0][0].split("-")[0]


def check_done(backend, change):
    """That the upgrade left what the naive form leaves: a valid index, or a NOT NULL column."""
    if change == "index":
        sql = (
            "SELECT count(*) FROM pg_index WHERE indexrelid = 'ix_items_n'::regclass AND indisvalid"
            if backend.name == "postgres"
            else f"SELECT count(*) FROM information_schema.statistics WHERE table_schema = '{DB}' AND index_name = 'ix_items_n'"
        )
    else:
        sql = (
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' "
            f"AND column_name = 'c2' AND is_nullable = 'NO' AND column_default IS NOT NULL"
            + (f" AND table_schema = '{DB}'" if backend.name == "mariadb" else "")
        )
    if query(backend, sql)[0][0] != 1:
        raise SystemExit(f"{backend.name}: the {change} upgrade did not leave what it should")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (default 1,000,000)")
    parser.add_argument("--rate", type=float, default=200, help="writes per second (default 200)")
    parser.add_argument("--batch", type=int, default=5000, help="rows per backfill UPDATE on PostgreSQL (default 5000)")
    parser.add_argument("--baseline", type=float, default=2.0, help="seconds of writes before the upgrade")
    parser.add_argument("--after", type=float, default=1.0, help="seconds of writes after it")
    parser.add_argument("--servers", default="postgres,mariadb", help="comma-separated: postgres, mariadb")
    args = parser.parse_args()

    bin_dir = peers.venv()
    try:
        import psycopg2  # noqa: F401
        import pymysql  # noqa: F401
    except ImportError:  # run again with the drivers of the benchmarks' virtual environment
        python = bin_dir / "python"
        os.execv(str(python), [str(python), os.path.abspath(__file__), *sys.argv[1:]])

    WORK.mkdir(parents=True, exist_ok=True)
    app = build_app(args.rows, args.batch)
    wanted = args.servers.split(",")
    lines = []
    versions = []
    for backend in BACKENDS:
        if backend.name not in wanted:
            continue
        if not backend.reachable():
            print(f"skipping {backend.name}: not reachable", file=sys.stderr)
            continue
        for change, form, pg_target, my_target in VARIANTS:
            target = pg_target if backend.name == "postgres" else my_target
            print(f"{backend.name}: {change}, {form}: filling {args.rows} rows", file=sys.stderr)
            seed(app, backend, args.rows)
            if len(versions) < len(wanted) and not any(v.startswith(backend.name) for v in versions):
                versions.append(f"{backend.name}: {server_version(backend)}")
            print(f"{backend.name}: {change}, {form}: upgrade {target} under {args.rate:g} writes/s", file=sys.stderr)
            m = measure(app, backend, target, args)
            check_done(backend, change)
            failed = f" ({m['failed']} failed)" if m["failed"] else ""
            line = (
                f"| {backend.name} | {change} | {form} | {fmt(m['time'])} | {m['count']}{failed} | "
                f"{fmt(m['p99'])} | {fmt(m['worst'])} | {m['slow']} | {fmt(m['baseline'])} |"
            )
            print(line, file=sys.stderr)
            lines.append(line)
        backend.drop(DB)
    print(
        f"{args.rows:,} rows, {args.rate:g} writes/s, {datetime.date.today()}, "
        f"{platform.machine()} {os.cpu_count()} cores, Linux {platform.release()}; " + "; ".join(versions)
    )
    print()
    print("| server | change | form | statement time | writes during | p99 write | worst write | writes over 100 ms | baseline p99 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
