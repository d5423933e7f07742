#!/usr/bin/env python3
"""Runs the benchmarks and prints one table of ratios to baselines measured in the same run.

    python3 benches/report.py            # cargo bench + whole-process runs, then the table
    python3 benches/report.py --no-bench # the table from the last `cargo bench` results

Criterion rows come from `cargo bench --all-features --bench compare` (target/criterion). The
whole-process rows build a binary with a generated 100-revision chain embedded, and an Alembic
project with the same SQL (Alembic installed with pip into target/bench/venv), and time
`current` and `upgrade head` on SQLite as separate processes.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
WORK = TARGET / "bench"
CRITERION = TARGET / "criterion"
N = 100


def rev_id(i):
    return f"r{i:06}"


def upgrade_sql(i):
    # The same SQL as benches/compare.rs.
    return (
        f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL);\n"
        f"CREATE INDEX ix_t{i}_name ON t{i} (name);\n"
        f"INSERT INTO t{i} (id, name) VALUES (1, 'row; {i}');\n"
    )


def ours_app():
    """A crate embedding the generated chain, built in release mode; its binary."""
    app = WORK / "app"
    migrations = app / "migrations"
    if app.exists():
        shutil.rmtree(app)
    (app / "src").mkdir(parents=True)
    migrations.mkdir()
    for i in range(N):
        revises = "None" if i == 0 else rev_id(i - 1)
        (migrations / f"{rev_id(i)}_x.sql").write_text(
            f"-- revision {i}\n--\n-- Revision ID: {rev_id(i)}\n-- Revises: {revises}\n"
            f"-- Create Date: 2026-01-01 00:00:00\n\n-- +upgrade\n{upgrade_sql(i)}\n"
            f"-- +downgrade\nDROP TABLE t{i};\n"
        )
    (app / "Cargo.toml").write_text(
        '[package]\nname = "bench-app"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
        f'[dependencies]\nquark-db-manage = {{ path = "{ROOT}" }}\n\n'
        f'[build-dependencies]\nquark-db-manage = {{ path = "{ROOT}", default-features = false }}\n\n'
        "[profile.release]\nlto = true\ncodegen-units = 1\nstrip = true\n\n[workspace]\n"
    )
    shutil.copy(ROOT / "Cargo.lock", app / "Cargo.lock")
    (app / "build.rs").write_text(
        "fn main() {\n"
        '    if let Err(e) = quark_db_manage::build::embed_migrations("migrations") {\n'
        '        eprintln!("{e}");\n        std::process::exit(1);\n    }\n}\n'
    )
    (app / "src/main.rs").write_text(
        "static MIGRATIONS: &[quark_db_manage::EmbeddedFile] = quark_db_manage::embed_migrations!();\n"
        "fn main() -> std::process::ExitCode { quark_db_manage::cli::main_with(MIGRATIONS) }\n"
    )
    subprocess.run(
        ["cargo", "build", "--release", "--offline", "--quiet"],
        cwd=app,
        check=True,
        env={**os.environ, "CARGO_TARGET_DIR": str(TARGET)},
    )
    return TARGET / "release" / "bench-app"


def alembic_project():
    """An Alembic project with the same chain; the alembic executable and the project dir."""
    venv = WORK / "venv"
    if not (venv / "bin" / "alembic").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "alembic"], check=True
        )
    project = WORK / "alembic"
    if project.exists():
        shutil.rmtree(project)
    versions = project / "versions"
    versions.mkdir(parents=True)
    (project / "alembic.ini").write_text(
        "[alembic]\nscript_location = .\nsqlalchemy.url = sqlite:///alembic.db\n"
    )
    (project / "script.py.mako").write_text("")
    (project / "env.py").write_text(
        "from alembic import context\n"
        "from sqlalchemy import engine_from_config, pool\n"
        "config = context.config\n"
        "engine = engine_from_config(config.get_section(config.config_ini_section),"
        " prefix='sqlalchemy.', poolclass=pool.NullPool)\n"
        "import os\n"
        "per_migration = os.environ.get('PER_MIGRATION') == '1'\n"
        "with engine.connect() as connection:\n"
        "    context.configure(connection=connection, transaction_per_migration=per_migration)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
    )
    for i in range(N):
        down = "None" if i == 0 else repr(rev_id(i - 1))
        statements = [s.strip() for s in upgrade_sql(i).split(";\n") if s.strip()]
        body = "\n".join(f"    op.execute({s!r})" for s in statements)
        (versions / f"{rev_id(i)}_x.py").write_text(
            f'"""revision {i}"""\nfrom alembic import op\n\n'
            f"revision = {rev_id(i)!r}\ndown_revision = {down}\n"
            "branch_labels = None\ndepends_on = None\n\n"
            f"def upgrade():\n{body}\n\n"
            f"def downgrade():\n    op.execute('DROP TABLE t{i}')\n"
        )
    return venv / "bin" / "alembic", project


def timed(command, cwd, runs, before=None, env=None):
    """Median wall time in seconds of `runs` runs of `command`; `before` runs untimed first."""
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def whole_process(runs):
    binary = ours_app()
    alembic, project = alembic_project()
    ours_dir = WORK / "ours-db"
    ours_dir.mkdir(exist_ok=True)
    ours_db = ours_dir / "quark.db"
    url = ["--database-connection", "sqlite:///quark.db"]

    def fresh(path):
        return lambda: [p.unlink() for p in path.parent.glob(path.name + "*")]

    alembic_db = project / "alembic.db"
    per_migration = {**os.environ, "PER_MIGRATION": "1"}
    results = {}
    results["upgrade head (a transaction per revision)"] = (
        timed([str(binary), *url, "-q", "upgrade", "head"], ours_dir, runs, fresh(ours_db)),
        timed([str(alembic), "upgrade", "head"], project, runs, fresh(alembic_db), per_migration),
    )
    results["upgrade head (one transaction; Alembic's default)"] = (
        timed(
            [str(binary), *url, "-q", "upgrade", "head", "--single-transaction"],
            ours_dir,
            runs,
            fresh(ours_db),
        ),
        timed([str(alembic), "upgrade", "head"], project, runs, fresh(alembic_db)),
    )
    results["current"] = (
        timed([str(binary), *url, "current"], ours_dir, runs * 2),
        timed([str(alembic), "current"], project, runs * 2),
    )
    return results


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


def ratio(ours, base):
    return "-" if ours is None or base is None else f"{ours / base:.2f}x"


def table(whole):
    rows = []
    for backend in ("sqlite", "postgres", "mariadb"):
        group = f"noop_{backend}"
        q, raw, ref = (estimate(group, t) for t in ("quark", "raw", "refinery"))
        if q is not None:
            rows.append((f"no-op start-up, {backend}, {N} revisions", q, raw, ref, None))
    for backend, sizes in (("sqlite", (10, 100, 1000)), ("postgres", (100,)), ("mariadb", (100,))):
        for n in sizes:
            group = f"apply_{backend}"
            q, raw, ref, single, grouped = (
                estimate(group, t, str(n))
                for t in ("quark", "raw", "refinery", "quark_single", "refinery_grouped")
            )
            if q is not None:
                rows.append((f"apply {n} revisions, {backend}", q, raw, ref, None))
            if single is not None:
                rows.append((f"apply {n} revisions, {backend}, one transaction", single, None, None, grouped))
    print("| measurement | quark | raw floor | vs raw | refinery | vs refinery | refinery grouped | vs grouped |")
    print("|---|---|---|---|---|---|---|---|")
    for name, q, raw, ref, grouped in rows:
        print(
            f"| {name} | {fmt(q)} | {fmt(raw)} | {ratio(q, raw)} | {fmt(ref)} | {ratio(q, ref)} "
            f"| {fmt(grouped)} | {ratio(q, grouped)} |"
        )
    if whole:
        print()
        print("| whole process, SQLite, 100 revisions | quark-db-manage | alembic | alembic / quark |")
        print("|---|---|---|---|")
        for name, (ours, theirs) in whole.items():
            print(f"| `{name}` | {fmt(ours)} | {fmt(theirs)} | {theirs / ours:.0f}x faster |")
    print()
    print("| build (as build.rs does) | 1,000 revisions | 10,000 revisions | growth for 10x |")
    print("|---|---|---|---|")
    for what in ("validate", "graph"):
        small, large = estimate("build", what, "1000"), estimate("build", what, "10000")
        growth = "-" if small is None or large is None else f"{large / small:.1f}x"
        print(f"| {what} | {fmt(small)} | {fmt(large)} | {growth} |")
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-bench", action="store_true", help="use the last criterion results")
    parser.add_argument("--no-whole", action="store_true", help="skip the whole-process runs")
    parser.add_argument("--runs", type=int, default=10, help="runs per whole-process timing")
    args = parser.parse_args()
    if not args.no_bench:
        # Only this run's results make the table.
        shutil.rmtree(CRITERION, ignore_errors=True)
        subprocess.run(
            ["cargo", "bench", "--locked", "--all-features", "--bench", "compare"],
            cwd=ROOT,
            check=True,
        )
    WORK.mkdir(parents=True, exist_ok=True)
    whole = None if args.no_whole else whole_process(args.runs)
    table(whole)


if __name__ == "__main__":
    main()
