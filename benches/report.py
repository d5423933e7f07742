#!/usr/bin/env python3
"""Runs the benchmarks and prints the tables of docs/benchmarks.md, every figure a ratio to a
baseline measured in the same run.

    python3 benches/report.py             # cargo bench + whole-process runs, then the tables
    python3 benches/report.py --no-bench  # the tables from the last `cargo bench` results
    python3 benches/report.py --check     # only build what the report runs (CI keeps it building)

Criterion rows come from `cargo bench --all-features --bench compare` (target/criterion). The
whole-process rows time separate processes on fresh databases (SQLite, and PostgreSQL and
MariaDB on 127.0.0.1 when reachable): an app on the engine with a generated 100-revision chain
against sqlx's migrator (benches/sqlx-peer) and Alembic with the same SQL; and quark's own chain,
the quark-db-manage binary against Alembic running exactly the statements our engine runs.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from peers import BACKENDS, N, ROOT, TARGET, WORK  # noqa: E402

CRITERION = TARGET / "criterion"
QUARK_STOP = "1664300cb03a"  # the newest irreversible revision of quark's chain


def timed(commands, runs, before=None, env=None, cwd=None):
    """Median wall time in seconds of `runs` runs of `commands` (one after the other); `before`
    runs untimed first."""
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        for command in commands:
            result = subprocess.run(command, cwd=cwd, capture_output=True, env=env)
            if result.returncode:
                raise SystemExit(f"{command} failed:\n{result.stderr.decode(errors='replace')}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def alembic_env(backend, db, per_migration):
    return {
        **os.environ,
        "ALEMBIC_URL": backend.url(db, "alembic"),
        "PER_MIGRATION": "1" if per_migration else "0",
    }


def synthetic(runs):
    """The generated chain, whole process: ours against sqlx and Alembic on each database."""
    ours, sqlx = peers.ours_app(), peers.sqlx_app()
    bin_dir = peers.venv()
    alembic = str(bin_dir / "alembic")
    project = peers.synthetic_alembic()
    rows = []
    for b in BACKENDS:
        if not b.reachable():
            print(f"skipping {b.name}: not reachable", file=sys.stderr)
            continue
        db = "qdm_bench"
        url = b.url(db, "ours")
        fresh = lambda: b.fresh(db)  # noqa: E731

        up = [str(ours), "--database-connection", url, "-q", "upgrade", "head"]
        sqlx_run = [str(sqlx), b.url(db, "sqlx")]
        alembic_up = [alembic, "upgrade", "head"]
        per = alembic_env(b, db, True)
        one = alembic_env(b, db, False)
        rows.append((
            f"apply {N}, {b.name}, a transaction per revision",
            timed([up], runs, fresh),
            timed([sqlx_run], runs, fresh),
            timed([alembic_up], runs, fresh, per, project),
        ))
        rows.append((
            f"apply {N}, {b.name}, one transaction",
            timed([up + ["--single-transaction"]], runs, fresh),
            None,
            timed([alembic_up], runs, fresh, one, project),
        ))
        b.fresh(db)
        subprocess.run(up, check=True, capture_output=True)
        noop_ours = timed([up], runs * 2)
        b.fresh(db)
        subprocess.run(sqlx_run, check=True, capture_output=True)
        noop_sqlx = timed([sqlx_run], runs * 2)
        b.fresh(db)
        subprocess.run(alembic_up, check=True, capture_output=True, env=per, cwd=project)
        noop_alembic = timed([alembic_up], runs * 2, env=per, cwd=project)
        rows.append((f"no-op start at head, {b.name}", noop_ours, noop_sqlx, noop_alembic))
        if b.name == "sqlite":
            current = timed([[str(ours), "--database-connection", url, "current"]], runs * 2)
            b.fresh(db)
            subprocess.run(alembic_up, check=True, capture_output=True, env=per, cwd=project)
            rows.append((
                "`current`, sqlite",
                current,
                None,
                timed([[alembic, "current"]], runs * 2, env=per, cwd=project),
            ))
        b.drop(db)
    return rows


def quark_chain(runs):
    """quark's own chain, whole process: quark-db-manage against Alembic with the same SQL."""
    peers.cargo(["build", "--release", "--locked", "--all-features", "--bin", "quark-db-manage"], ROOT)
    quark = TARGET / "release" / "quark-db-manage"
    chain = peers.chain_export()
    alembic = str(peers.venv() / "alembic")
    rows = []
    for b in BACKENDS:
        if not b.reachable():
            continue
        project = peers.quark_alembic(b.dialect, chain)
        ours_db, theirs_db = "qdm_quark_ours", "qdm_quark_alembic"
        url = b.url(ours_db, "ours")
        up = [str(quark), "--database-connection", url, "-q", "upgrade", "head"]
        down = [str(quark), "--database-connection", url, "-q", "downgrade", QUARK_STOP]
        env = alembic_env(b, theirs_db, True)
        a_up = [alembic, "upgrade", "head"]
        a_down = [alembic, "downgrade", QUARK_STOP]

        def ours_at_head():
            b.fresh(ours_db)
            subprocess.run(up, check=True, capture_output=True)

        def theirs_at_head():
            b.fresh(theirs_db)
            subprocess.run(a_up, check=True, capture_output=True, env=env, cwd=project)

        base_ours = timed([up], runs, lambda: b.fresh(ours_db))
        base_theirs = timed([a_up], runs, lambda: b.fresh(theirs_db), env, project)
        tables = (b.count_tables(ours_db), b.count_tables(theirs_db))
        # Alembic's own table is one more than our two (alembic_version and its history).
        if tables[0] != tables[1] + 1:
            raise SystemExit(f"{b.name}: quark-db-manage made {tables[0]} tables, Alembic {tables[1]}")
        rows.append((f"quark base -> head, {b.name}", base_ours, None, base_theirs))
        rows.append((
            f"quark head -> {QUARK_STOP} -> head, {b.name}",
            timed([down, up], runs, ours_at_head),
            None,
            timed([a_down, a_up], runs, theirs_at_head, env, project),
        ))
        b.drop(ours_db)
        b.drop(theirs_db)
    return rows


ROWS_PARENT = "1acd075bd7e1"  # adds first_ip and last_ip, which 1664300cb03a fills
ROWS_REVISION = "1664300cb03a"


def seed_cidrs(backend, n):
    """SQL giving quark_ip_policy_cidrs `n` rows of one policy, CIDRs of prefix 24 to 32."""
    policy = "INSERT INTO quark_ip_policy (id, tenant_id) VALUES ('p', 't');\n"
    columns = "INSERT INTO quark_ip_policy_cidrs (id, ip_policy_id, cidr)"
    if backend.name == "sqlite":
        return policy + (
            f"WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < {n}) "
            f"{columns} SELECT printf('%08d', g), 'p', '10.' || ((g / 65536) % 256) || '.' || "
            "((g / 256) % 256) || '.' || (g % 256) || '/' || (24 + g % 9) FROM seq;"
        )
    if backend.name == "postgres":
        return policy + (
            f"{columns} SELECT lpad(g::text, 8, '0'), 'p', '10.' || (g / 65536) % 256 || '.' || "
            f"(g / 256) % 256 || '.' || g % 256 || '/' || (24 + g % 9) FROM generate_series(1, {n}) g;"
        )
    return policy + (
        f"{columns} SELECT LPAD(seq, 8, '0'), 'p', CONCAT('10.', (seq DIV 65536) % 256, '.', "
        f"(seq DIV 256) % 256, '.', seq % 256, '/', 24 + seq % 9) FROM seq_1_to_{n};"
    )


def peak(command):
    """Runs `command`; its wall time in seconds and peak resident memory in bytes (by
    /usr/bin/time: a child forked from this Python process would report Python's own peak
    when its own is lower, Linux keeping the larger across exec)."""
    with tempfile.NamedTemporaryFile("r") as out:
        start = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-o", out.name, "-f", "%M", *command], capture_output=True
        )
        took = time.perf_counter() - start
        if result.returncode:
            raise SystemExit(f"{command} failed:\n{result.stderr.decode(errors='replace')}")
        return took, int(out.read().split()[-1]) * 1024


def rows_growth(sizes):
    """quark's data revision 1664300cb03a over `sizes` rows on each database: the
    quark-db-manage binary against the same work written by hand on the raw driver
    (benches/rows_floor.rs), wall time and peak memory of each process."""
    peers.cargo(["build", "--release", "--locked", "--all-features", "--bin", "quark-db-manage"], ROOT)
    peers.cargo(["build", "--release", "--locked", "--example", "rows-floor"], ROOT)
    quark = TARGET / "release" / "quark-db-manage"
    floor = TARGET / "release" / "examples" / "rows-floor"
    rows = []
    for b in BACKENDS:
        if not b.reachable():
            print(f"skipping {b.name}: not reachable", file=sys.stderr)
            continue
        db = "qdm_rows"
        url = b.url(db, "ours")
        for n in sizes:
            measured = []
            for command in (
                [str(quark), "--database-connection", url, "-q", "upgrade", ROWS_REVISION],
                [str(floor), url],
            ):
                b.fresh(db)
                subprocess.run(
                    [str(quark), "--database-connection", url, "-q", "upgrade", ROWS_PARENT],
                    check=True, capture_output=True,
                )
                b.run_sql(db, seed_cidrs(b, n))
                measured.append(peak(command))
            b.drop(db)
            (ours, ours_peak), (raw, raw_peak) = measured
            rows.append((b.name, n, ours, raw, ours_peak, raw_peak))
    return rows


def rows_table(rows):
    print(
        f"| {ROWS_REVISION}, rows | quark | hand-written floor | vs floor | quark peak memory "
        "| floor peak memory | growth for 10x (time, memory) |"
    )
    print("|---|---|---|---|---|---|---|")
    previous = {}
    for name, n, ours, raw, ours_peak, raw_peak in rows:
        before = previous.get(name)
        growth = "-" if before is None else f"{ours / before[0]:.1f}x, {ours_peak / before[1]:.2f}x"
        previous[name] = (ours, ours_peak)
        print(
            f"| {name}, {n:,} | {fmt(ours)} | {fmt(raw)} | {ratio(ours, raw)} "
            f"| {ours_peak / 2**20:.1f} MB | {raw_peak / 2**20:.1f} MB | {growth} |"
        )


GROUPED_PARENT = "1284c81cf727"
GROUPED_REVISION = "45a07fac3d38"  # with 2748e48cee3a before it: the two grouped by policy


def seed_policies(backend, n):
    """SQL giving `n` policies, each with a subnet (a /24) and two CIDRs (the /23 around the
    subnet and its network address), so that 2748e48cee3a cuts every policy back to its subnet
    and 45a07fac3d38 adds every broadcast address: both rewrite every policy."""
    if backend.name == "mariadb":
        source = f"(SELECT seq AS g FROM seq_1_to_{n}) s"
        pad = "LPAD(g, 8, '0')"
        net = "CONCAT('10.', (g DIV 256) % 256, '.', g % 256)"

        def cat(*parts):
            return "CONCAT(" + ", ".join(parts) + ")"
    else:
        if backend.name == "sqlite":
            source = (
                "(WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq "
                f"WHERE g < {n}) SELECT g FROM seq) s"
            )
            pad = "printf('%08d', g)"
        else:
            source = f"generate_series(1, {n}) g"
            pad = "lpad(g::text, 8, '0')"
        net = "'10.' || ((g / 256) % 256) || '.' || (g % 256)"

        def cat(*parts):
            return " || ".join(parts)
    s_id, w_id, n_id = cat("'s'", pad), cat("'w'", pad), cat("'n'", pad)
    net24, net23, net32 = cat(net, "'.0/24'"), cat(net, "'.0/23'"), cat(net, "'.0/32'")
    policies = f"SELECT {pad}, 't' FROM {source}"
    subnets = f"SELECT {s_id}, {net24}, 't', {pad} FROM {source}"
    wide = f"SELECT {w_id}, {pad}, {net23} FROM {source}"
    network = f"SELECT {n_id}, {pad}, {net32} FROM {source}"
    cidrs = "INSERT INTO quark_ip_policy_cidrs (id, ip_policy_id, cidr) "
    return (
        f"INSERT INTO quark_ip_policy (id, tenant_id) {policies};\n"
        f"INSERT INTO quark_subnets (id, _cidr, tenant_id, ip_policy_id) {subnets};\n"
        f"{cidrs}{wide};\n{cidrs}{network};\n"
    )


def grouped_growth(sizes):
    """quark's grouped data revisions 2748e48cee3a and 45a07fac3d38 over `sizes` policies on
    each database: wall time and peak memory of the quark-db-manage process."""
    peers.cargo(["build", "--release", "--locked", "--all-features", "--bin", "quark-db-manage"], ROOT)
    quark = TARGET / "release" / "quark-db-manage"
    rows = []
    for b in BACKENDS:
        if not b.reachable():
            print(f"skipping {b.name}: not reachable", file=sys.stderr)
            continue
        db = "qdm_grouped"
        url = b.url(db, "ours")
        for n in sizes:
            b.fresh(db)
            subprocess.run(
                [str(quark), "--database-connection", url, "-q", "upgrade", GROUPED_PARENT],
                check=True, capture_output=True,
            )
            b.run_sql(db, seed_policies(b, n))
            took, peak_bytes = peak(
                [str(quark), "--database-connection", url, "-q", "upgrade", GROUPED_REVISION]
            )
            b.drop(db)
            rows.append((b.name, n, took, peak_bytes))
    return rows


def grouped_table(rows):
    print(
        "| 2748e48cee3a + 45a07fac3d38, policies | quark | peak memory | growth for 10x (time, memory) |"
    )
    print("|---|---|---|---|")
    previous = {}
    for name, n, took, peak_bytes in rows:
        before = previous.get(name)
        growth = "-" if before is None else f"{took / before[0]:.1f}x, {peak_bytes / before[1]:.2f}x"
        previous[name] = (took, peak_bytes)
        print(f"| {name}, {n:,} | {fmt(took)} | {peak_bytes / 2**20:.1f} MB | {growth} |")


REHEARSED = re.compile(r"rehearsed (\d+) revisions on SQLite in memory in ([\d.]+) s")


def build_app(app, name):
    """Builds the app at `app` in release mode, asking the build to say what it rehearsed; the
    wall time of the build and the seconds the rehearsal took (and how many it rehearsed)."""
    env = {**os.environ, "CARGO_TARGET_DIR": str(TARGET), "QUARK_MIGRATE_CHECK": "details"}
    start = time.perf_counter()
    result = subprocess.run(
        ["cargo", "build", "--offline", "--release"], cwd=app, capture_output=True, text=True, env=env
    )
    took = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"building {name} failed:\n{result.stderr}")
    said = REHEARSED.search(result.stderr)
    if not said:
        raise SystemExit(f"building {name} did not say what it rehearsed:\n{result.stderr}")
    return took, float(said.group(2)), int(said.group(1))


def chain_growth(sizes, runs):
    """How cost grows with the chain: the build's rehearsal of a clean build and after the
    newest revision is edited, that incremental build's wall time, and the no-op start-up of
    the binary against a SQLite database at head."""
    rows = []
    for n in sizes:
        peers.ours_app(n=n, build=False)
        app, name = peers.app_dir(n), peers.app_name(n)
        # What an earlier run rehearsed is kept in the build script's OUT_DIR: start clean.
        peers.cargo(["clean", "--release", "-p", name], app)
        _, clean, rehearsed = build_app(app, name)
        assert rehearsed == n, f"{name}: rehearsed {rehearsed} of {n}"
        newest = app / "migrations" / f"{peers.rev_id(n - 1)}_x.sql"
        newest.write_text(peers.revision_file(n - 1, f"INSERT INTO t{n - 1} (id, name) VALUES (2, 'edited');\n"))
        edit_total, edit_rehearsal, rehearsed = build_app(app, name)
        assert rehearsed == 1, f"{name}: an edit of the newest rehearsed {rehearsed}"
        binary = TARGET / "release" / name
        db = WORK / f"growth-{n}.db"
        db.unlink(missing_ok=True)
        up = [str(binary), "--database-connection", f"sqlite:///{db}", "-q", "upgrade", "head"]
        subprocess.run(up, check=True, capture_output=True)
        noop = timed([up], runs)
        fresh = lambda: [p.unlink(missing_ok=True) for p in (db, db.with_name(db.name + ".lock"))]
        apply_runs = max(3, runs // (n // 100 or 1))
        replay = timed([up], apply_runs, before=fresh)
        replayed = sqlite_contents(db)
        fresh()
        # A checkpoint of the newest revision's parent (the newest was edited to write a
        # second row), then the build that checks it, then a fresh database built from it.
        start = time.perf_counter()
        subprocess.run(
            [str(binary), "-q", "checkpoint", peers.rev_id(n - 2), "--migrations-dir", str(app / "migrations")],
            check=True,
            capture_output=True,
        )
        writing = time.perf_counter() - start
        checked_build, _, _ = build_app(app, name)
        from_checkpoint = timed([up], apply_runs, before=fresh)
        built = sqlite_contents(db)
        if built != replayed:
            raise SystemExit(f"{name}: the database built from the checkpoint differs from the replay")
        fresh()
        floor = sqlite_alone(n)
        rows.append((n, clean, edit_rehearsal, edit_total, noop, floor, replay, from_checkpoint, writing, checked_build))
    return rows


SERVER_TOOLS = ("quark", "sqlx", "refinery")
# refinery's `embed_migrations!` with 10,000 files had not compiled after 18 minutes of rustc
# (2026-12-07, this machine); it is measured up to 1,000.
REFINERY_MAX = 1000


def server_growth(sizes, runs):
    """How the whole-process cost grows with the chain on PostgreSQL and MariaDB, for our app
    and sqlx's and refinery's migrators embedding the same chain: apply all to a fresh
    database, the no-op start-up at head (median time, peak memory), and the round trips each
    makes from connect to exit (counted on the wire by benches/wire.py, the drivers' own
    included). Each app is built afresh with the plain chain (no checkpoint, nothing edited).
    All three connect without TLS (the peers are built without it)."""
    import wire

    rows = []
    for n in sizes:
        binaries = {"quark": peers.ours_app(n=n), "sqlx": peers.sqlx_app(n)}
        if n <= REFINERY_MAX:
            binaries["refinery"] = peers.refinery_app(n)
        else:
            print(f"refinery left out at {n:,}: its embed_migrations! compiles too long", file=sys.stderr)
        for b in BACKENDS[1:]:
            if not b.reachable():
                print(f"skipping {b.name}: not reachable", file=sys.stderr)
                continue
            db = "qdm_growth"
            port = 5432 if b.name == "postgres" else 3306

            def command(tool, url):
                if tool == "quark":
                    return [str(binaries[tool]), "--database-connection", url, "-q", "upgrade", "head"]
                return [str(binaries[tool]), url]

            fresh = lambda: b.fresh(db)  # noqa: E731
            apply_runs = max(1, min(runs, 1000 // n))
            for tool in (t for t in SERVER_TOOLS if t in binaries):
                url = b.url(db, "ours" if tool == "quark" else tool)
                if tool == "quark" and b.name == "postgres":
                    # The peers are built without TLS: ours connects without it too.
                    url += "?sslmode=disable"
                run = command(tool, url)
                apply = timed([run], apply_runs, fresh)
                noop = timed([run], runs)
                _, noop_peak = peak(run)
                with wire.Counter(port) as counter:
                    proxied = command(tool, url.replace(f":{port}/", f":{counter.port}/"))
                    subprocess.run(proxied, check=True, capture_output=True)
                    counter.wait_idle()
                    noop_trips = counter.round_trips
                    apply_trips = None
                    if n <= 1000:
                        fresh()
                        counter.reset()
                        subprocess.run(proxied, check=True, capture_output=True)
                        counter.wait_idle()
                        apply_trips = counter.round_trips
                tables = b.count_tables(db)
                if tables < n:
                    raise SystemExit(f"{tool} on {b.name}: {tables} tables for {n} revisions")
                rows.append((b.name, n, tool, apply, noop, noop_peak, apply_trips, noop_trips))
                print(f"measured: {rows[-1]}", file=sys.stderr, flush=True)
            b.drop(db)
    return rows


def server_table(rows):
    print(
        "| database, chain | tool | apply all | per revision | no-op start-up | peak memory "
        "| round trips: apply all | no-op | vs quark: apply | no-op |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    ours = {(r[0], r[1]): r for r in rows if r[2] == "quark"}
    for backend, n, tool, apply, noop, mem, apply_trips, noop_trips in rows:
        q = ours.get((backend, n))
        versus = "-" if tool == "quark" or q is None else f"{apply / q[3]:.2f}x | {noop / q[4]:.2f}x"
        trips = "-" if apply_trips is None else f"{apply_trips:,}"
        print(
            f"| {backend}, {n:,} | {tool} | {fmt(apply)} | {fmt(apply / n)} | {fmt(noop)} "
            f"| {mem / 2**20:.1f} MB | {trips} | {noop_trips} | {versus if tool != 'quark' else '- | -'} |"
        )
    for backend in ("postgres", "mariadb"):
        mine = sorted((n, r) for (b, n), r in ours.items() if b == backend)
        for (n1, small), (n2, large) in zip(mine, mine[1:]):
            print(
                f"| {backend}, growth {n1:,} -> {n2:,} | quark | {large[3] / small[3]:.1f}x "
                f"| {large[3] / n2 / (small[3] / n1):.2f}x | {large[4] / small[4]:.2f}x "
                f"| {large[5] / small[5]:.2f}x | | | | |"
            )


def sqlite_contents(path):
    """A SQLite file's tables, columns, indexes and rows, and its version rows: what two
    databases built two ways are compared by."""
    import sqlite3

    db = sqlite3.connect(path)
    out = []
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'alembic_version%' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for t in tables:
        out.append((t, db.execute(f'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', (t,)).fetchall()))
        out.append((t, db.execute("SELECT name, \"unique\" FROM pragma_index_list(?) ORDER BY name", (t,)).fetchall()))
        out.append((t, db.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall()))
    out.append(db.execute("SELECT version_num FROM alembic_version").fetchall())
    db.close()
    return out


def sqlite_alone(n):
    """Seconds SQLite alone (Python's sqlite3, in memory, one transaction) takes to run the
    chain's upgrades once: the floor under a rehearsal, which runs each upgrade twice and each
    downgrade once. SQLite re-reads its schema table after every DDL statement, so this floor
    grows faster than the chain."""
    import sqlite3

    db = sqlite3.connect(":memory:", isolation_level=None)
    start = time.perf_counter()
    db.execute("BEGIN")
    for i in range(n):
        for statement in peers.statements(i):
            db.execute(statement)
    db.execute("COMMIT")
    return time.perf_counter() - start


def growth_table(rows):
    print(
        "| chain | rehearsal, clean build | rehearsal after editing the newest | that build, in all "
        "| no-op start-up (process) | SQLite alone, the upgrades once "
        "| apply all (process) | apply all from a checkpoint | `checkpoint` | build with the checkpoint |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, *cells in rows:
        print(f"| {n:,} revisions | " + " | ".join(fmt(c) for c in cells) + " |")
    for (n1, *small), (n2, *large) in zip(rows, rows[1:]):
        cells = " | ".join(f"{b / a:.1f}x" if a else "-" for a, b in zip(small, large))
        print(f"| growth {n1:,} -> {n2:,} | {cells} |")
    for n, *cells in rows:
        replay, from_checkpoint = cells[5], cells[6]
        print(f"| {n:,} revisions, apply all per revision | {fmt(replay / n)} | from a checkpoint: {replay / from_checkpoint:.1f}x faster |")


def estimate(*parts):
    """Criterion's mean estimate in seconds, or None when the row was not measured."""
    path = CRITERION.joinpath(*parts, "new", "estimates.json")
    if not path.exists():
        return None
    return json.loads(path.read_text())["mean"]["point_estimate"] / 1e9


def fmt(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def slower(theirs, ours):
    """How many times longer the peer took (below 1: it was faster)."""
    return "-" if theirs is None or ours is None else f"{theirs / ours:.2f}x"


def ratio(ours, base):
    return "-" if ours is None or base is None else f"{ours / base:.2f}x"


def table(whole):
    rows = []
    for backend in ("sqlite", "postgres", "mariadb"):
        group = f"noop_{backend}"
        q, raw, checked, ref = (estimate(group, t) for t in ("quark", "raw", "raw_checked", "refinery"))
        if q is not None:
            rows.append((f"no-op start-up, {backend}, {N} revisions", q, raw, checked, ref, None))
    for backend, sizes in (("sqlite", (10, 100, 1000)), ("postgres", (100,)), ("mariadb", (100,))):
        for n in sizes:
            group = f"apply_{backend}"
            q, raw, ref, single, raw_single, grouped = (
                estimate(group, t, str(n))
                for t in ("quark", "raw", "refinery", "quark_single", "raw_single", "refinery_grouped")
            )
            if q is not None:
                rows.append((f"apply {n} revisions, {backend}", q, raw, None, ref, None))
            if single is not None:
                rows.append((f"apply {n} revisions, {backend}, one transaction", single, raw_single, None, None, grouped))
    print(
        "| measurement | quark | raw floor | vs raw | raw, same reads | vs same reads "
        "| refinery | vs refinery | refinery grouped | vs grouped |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, q, raw, checked, ref, grouped in rows:
        print(
            f"| {name} | {fmt(q)} | {fmt(raw)} | {ratio(q, raw)} | {fmt(checked)} | {ratio(q, checked)} "
            f"| {fmt(ref)} | {ratio(q, ref)} | {fmt(grouped)} | {ratio(q, grouped)} |"
        )
    if whole:
        print()
        print("| whole process | quark | sqlx | sqlx / quark | Alembic | Alembic / quark |")
        print("|---|---|---|---|---|---|")
        for name, ours, sqlx, alembic in whole:
            print(
                f"| {name} | {fmt(ours)} | {fmt(sqlx)} | {slower(sqlx, ours)} "
                f"| {fmt(alembic)} | {slower(alembic, ours)} |"
            )
    print()
    print("| build (as build.rs does) | 1,000 revisions | 10,000 revisions | growth for 10x |")
    print("|---|---|---|---|")
    for what in ("validate", "graph"):
        small, large = estimate("build", what, "1000"), estimate("build", what, "10000")
        growth = "-" if small is None or large is None else f"{large / small:.1f}x"
        print(f"| {what} | {fmt(small)} | {fmt(large)} | {growth} |")
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")


def check():
    """Builds what the report runs, in debug, so that CI notices when it stops building: the app
    on the engine and the chain export. (The sqlx peer, a crate of its own with sqlx's 150
    dependencies, is built only when the report runs.)"""
    WORK.mkdir(parents=True, exist_ok=True)
    binary = peers.ours_app(release=False)
    subprocess.run([str(binary), "--version"], check=True, capture_output=True)
    peers.cargo(["build", "--locked", "--example", "chain-sql"], ROOT)
    peers.cargo(["build", "--locked", "--example", "rows-floor"], ROOT)
    print(f"bench app built: {binary}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-bench", action="store_true", help="use the last criterion results")
    parser.add_argument("--no-whole", action="store_true", help="skip the whole-process runs")
    parser.add_argument("--check", action="store_true", help="only build what the report runs")
    parser.add_argument("--runs", type=int, default=10, help="runs per whole-process timing")
    parser.add_argument(
        "--growth",
        default="100,1000,10000",
        help="chain sizes for how cost grows with the chain (empty: skip)",
    )
    parser.add_argument(
        "--rows",
        default="10000,100000,1000000",
        help=f"row counts for {ROWS_REVISION} over many rows (empty: skip)",
    )
    parser.add_argument(
        "--policies",
        default="10000,100000",
        help="policy counts for the grouped data revisions (empty: skip)",
    )
    parser.add_argument(
        "--only",
        choices=["growth", "servers", "rows", "grouped"],
        action="append",
        help="only these tables (repeatable): how cost grows with the chain, or with the rows",
    )
    args = parser.parse_args()
    if args.check:
        check()
        return
    sizes = [int(n) for n in args.growth.split(",") if n]
    row_counts = [int(n) for n in args.rows.split(",") if n]
    WORK.mkdir(parents=True, exist_ok=True)
    if args.only:
        if "growth" in args.only:
            growth_table(chain_growth(sizes, args.runs * 2))
            print()
        if "servers" in args.only:
            server_table(server_growth(sizes, args.runs * 2))
            print()
        if "rows" in args.only:
            rows_table(rows_growth(row_counts))
            print()
        if "grouped" in args.only:
            grouped_table(grouped_growth([int(n) for n in args.policies.split(",") if n]))
        return
    if not args.no_bench:
        # Only this run's results make the table.
        shutil.rmtree(CRITERION, ignore_errors=True)
        subprocess.run(
            ["cargo", "bench", "--locked", "--all-features", "--bench", "compare"],
            cwd=ROOT,
            check=True,
        )
    WORK.mkdir(parents=True, exist_ok=True)
    whole = None if args.no_whole else synthetic(args.runs) + quark_chain(args.runs)
    growth = chain_growth(sizes, args.runs * 2) if sizes else []
    by_rows = rows_growth(row_counts) if row_counts else []
    table(whole)
    if growth:
        print()
        growth_table(growth)
    if by_rows:
        print()
        rows_table(by_rows)


if __name__ == "__main__":
    main()
