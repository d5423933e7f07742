"""The programs benches/report.py times as whole processes, and the databases they run on.

- our bench app: the engine with a generated chain embedded, its command line mounted;
- sqlx's migrator (benches/sqlx-peer) and refinery's (benches/refinery-peer) with the same SQL
  as their migrations;
- Alembic projects: the same generated chain, and quark's own chain with exactly the statements
  our engine runs (exported by the `chain-sql` example);
- fresh databases on SQLite, PostgreSQL and MariaDB, made before each timed run.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
WORK = TARGET / "bench"
N = 100
ALEMBIC = "alembic==1.20.1"
SQLALCHEMY = "SQLAlchemy==2.1.9"


def rev_id(i):
    return f"r{i:06}"


def upgrade_sql(i):
    # The same SQL as benches/compare.rs.
    return (
        f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL);\n"
        f"CREATE INDEX ix_t{i}_name ON t{i} (name);\n"
        f"INSERT INTO t{i} (id, name) VALUES (1, 'row; {i}');\n"
    )


def statements(i):
    return [s.strip() for s in upgrade_sql(i).split(";\n") if s.strip()]


def cargo(args, cwd, quiet=True, env=None):
    env = {**os.environ, "CARGO_TARGET_DIR": str(TARGET), **(env or {})}
    subprocess.run(["cargo", *args, *(["--quiet"] if quiet else [])], cwd=cwd, check=True, env=env)


def revision_file(i, n_extra=""):
    """The text of generated revision `i` (`n_extra` appended to its upgrade, to edit it)."""
    revises = "None" if i == 0 else rev_id(i - 1)
    return (
        f"-- revision {i}\n--\n-- Revision ID: {rev_id(i)}\n-- Revises: {revises}\n"
        f"-- Create Date: 2026-01-01 00:00:00\n\n-- +upgrade\n{upgrade_sql(i)}{n_extra}\n"
        f"-- +downgrade\nDROP TABLE t{i};\n"
    )


def app_name(n=None):
    return "bench-app" if n is None else f"bench-app-{n}"


def app_dir(n=None):
    return WORK / ("app" if n is None else f"app-{n}")


def ours_app(release=True, n=None, build=True):
    """A crate on the engine embedding the generated chain (built in release mode unless
    told); its binary. Its build rehearses the chain on SQLite, as any application's does.
    Without `n`, the chain of N revisions, built with LTO; with `n`, a chain of `n` revisions
    for how cost grows with the chain, built without LTO to keep its builds short.
    `build=False` only writes it."""
    name = app_name(n)
    app = app_dir(n)
    migrations = app / "migrations"
    if app.exists():
        shutil.rmtree(app)
    (app / "src").mkdir(parents=True)
    migrations.mkdir()
    for i in range(N if n is None else n):
        (migrations / f"{rev_id(i)}_x.sql").write_text(revision_file(i))
    engine = ROOT / "crates" / "quark-migrate"
    release_profile = "lto = true\ncodegen-units = 1\n" if n is None else ""
    # The chains of how cost grows are built as the README recommends for long histories: the
    # build script's engine and SQLite compiled with optimisation.
    build_profile = (
        ""
        if n is None
        else "".join(
            f"[profile.release.package.{p}]\nopt-level = 3\n\n" for p in ("quark-migrate", "libsqlite3-sys", "sha2")
        )
    )
    (app / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
        f'[dependencies]\nquark-migrate = {{ path = "{engine}", default-features = false, '
        'features = ["cli", "sqlite", "postgres", "mysql"] }\n\n'
        f'[build-dependencies]\nquark-migrate = {{ path = "{engine}", default-features = false, '
        'features = ["sqlite"] }\n\n'
        f"[profile.release]\n{release_profile}strip = true\n\n{build_profile}[workspace]\n"
    )
    shutil.copy(ROOT / "Cargo.lock", app / "Cargo.lock")
    (app / "build.rs").write_text(
        "fn main() {\n"
        '    if let Err(e) = quark_migrate::build::embed_migrations("migrations") {\n'
        '        eprintln!("{e}");\n        std::process::exit(1);\n    }\n}\n'
    )
    (app / "src/main.rs").write_text(
        "static MIGRATIONS: &[quark_migrate::EmbeddedFile] = quark_migrate::embed_migrations!();\n"
        "static SCHEMA: &[quark_migrate::SchemaFile] = quark_migrate::embed_schema!();\n"
        "fn main() -> std::process::ExitCode { quark_migrate::cli::main_with(MIGRATIONS, SCHEMA) }\n"
    )
    if build:
        cargo(["build", "--offline", *(["--release"] if release else [])], app)
    return TARGET / ("release" if release else "debug") / name


def sqlx_app(n=None):
    """benches/sqlx-peer with the generated chain as sqlx migrations, built in release mode."""
    return peer_app("sqlx", n)


def refinery_app(n=None):
    """benches/refinery-peer with the generated chain as refinery migrations, in release mode."""
    return peer_app("refinery", n)


def peer_app(kind, n=None):
    """benches/<kind>-peer with the generated chain of `n` revisions (N without) embedded as that
    tool's migrations, built in release mode; its binary. With `n` it is built without LTO, as
    our chains of how cost grows are."""
    name = f"{kind}-peer" if n is None else f"{kind}-peer-{n}"
    app = WORK / name
    binary = TARGET / "release" / name
    built = app / "migrations"
    source = ROOT / "benches" / f"{kind}-peer"
    same = all(
        (app / f).exists() and (app / f).read_text() == (source / f).read_text().replace(f'name = "{kind}-peer"', f'name = "{name}"', 1)
        for f in ("Cargo.toml", "src/main.rs")
    )
    if same and binary.exists() and built.is_dir() and len(list(built.iterdir())) == (N if n is None else n):
        # Built by an earlier run from the same chain and sources: the generated SQL is the same.
        return binary
    if app.exists():
        shutil.rmtree(app)
    shutil.copytree(ROOT / "benches" / f"{kind}-peer", app, ignore=shutil.ignore_patterns("migrations"))
    for manifest in ("Cargo.toml", "Cargo.lock"):
        path = app / manifest
        path.write_text(path.read_text().replace(f'name = "{kind}-peer"', f'name = "{name}"', 1))
    migrations = app / "migrations"
    migrations.mkdir()
    for i in range(N if n is None else n):
        file = f"{i + 1:04}_r{i}.sql" if kind == "sqlx" else f"V{i + 1}__r{i}.sql"
        (migrations / file).write_text(upgrade_sql(i))
    env = {} if n is None else {"CARGO_PROFILE_RELEASE_LTO": "false", "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "16"}
    cargo(["build", "--release", "--locked"], app, env=env)
    return TARGET / "release" / name


def chain_export():
    """quark's chain as the engine splits it (the `chain-sql` example), revision by revision."""
    env = {**os.environ, "CARGO_TARGET_DIR": str(TARGET)}
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--locked", "--release", "--example", "chain-sql"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def venv():
    """A virtual environment with Alembic and the PostgreSQL and MySQL drivers; its bin dir."""
    path = WORK / "venv"
    bin_dir = path / "bin"
    if not (bin_dir / "alembic").exists() or subprocess.run(
        [str(bin_dir / "python"), "-c", "import alembic, psycopg2, pymysql"], capture_output=True
    ).returncode:
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run(
            [str(bin_dir / "pip"), "install", "--quiet", ALEMBIC, SQLALCHEMY, "psycopg2-binary", "pymysql"],
            check=True,
        )
    return bin_dir


ENV_PY = (
    "import os\n"
    "from alembic import context\n"
    "from sqlalchemy import create_engine, pool\n"
    "engine = create_engine(os.environ['ALEMBIC_URL'], poolclass=pool.NullPool)\n"
    "per_migration = os.environ.get('PER_MIGRATION') == '1'\n"
    "with engine.connect() as connection:\n"
    "    context.configure(connection=connection, transaction_per_migration=per_migration)\n"
    "    with context.begin_transaction():\n"
    "        context.run_migrations()\n"
)


def alembic_project(name, revisions):
    """An Alembic project; `revisions` are (id, down_revisions, upgrade statements, downgrade
    statements or None) in order. The database URL comes from ALEMBIC_URL."""
    project = WORK / name
    if project.exists():
        shutil.rmtree(project)
    versions = project / "versions"
    versions.mkdir(parents=True)
    (project / "alembic.ini").write_text("[alembic]\nscript_location = .\n")
    (project / "script.py.mako").write_text("")
    (project / "env.py").write_text(ENV_PY)
    for rid, down, up, back in revisions:
        down = None if not down else (down[0] if len(down) == 1 else tuple(down))
        body = "\n".join(f"    op.execute({s!r})" for s in up) or "    pass"
        back_body = "    pass" if back is None else ("\n".join(f"    op.execute({s!r})" for s in back) or "    pass")
        (versions / f"{rid}_x.py").write_text(
            f'"""revision {rid}"""\nfrom alembic import op\n\n'
            f"revision = {rid!r}\ndown_revision = {down!r}\n"
            "branch_labels = None\ndepends_on = None\n\n"
            f"def upgrade():\n{body}\n\n"
            f"def downgrade():\n{back_body}\n"
        )
    return project


def synthetic_alembic():
    return alembic_project(
        "alembic",
        [
            (rev_id(i), [] if i == 0 else [rev_id(i - 1)], statements(i), [f"DROP TABLE t{i}"])
            for i in range(N)
        ],
    )


def quark_alembic(dialect, chain):
    """Alembic running exactly the statements our engine runs for quark's chain on `dialect`.
    A revision written in Rust (a data migration) becomes an empty one: on a database being
    built from nothing it has no rows to change."""
    revisions = []
    for rev in chain:
        up = rev["sql"]["upgrade"][dialect] or []
        back = rev["sql"]["downgrade"][dialect]
        revisions.append((rev["id"], rev["down_revisions"], up, back))
    return alembic_project(f"alembic-quark-{dialect}", revisions)


class Backend:
    """A database kind whose databases are made fresh for each run."""

    def __init__(self, name, dialect):
        self.name = name
        self.dialect = dialect

    def reachable(self):
        if self.name == "sqlite":
            return True
        probe = (
            ["pg_isready", "-h", "127.0.0.1", "-p", "5432"]
            if self.name == "postgres"
            else ["mysqladmin", "-h", "127.0.0.1", "-P", "3306", "-u", "root", "status"]
        )
        try:
            return subprocess.run(probe, capture_output=True).returncode == 0
        except FileNotFoundError:
            return False

    def fresh(self, db):
        """Makes database `db` empty."""
        if self.name == "sqlite":
            for p in WORK.glob(f"{db}.db*"):
                p.unlink()
        elif self.name == "postgres":
            for sql in (f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", f"CREATE DATABASE {db}"):
                subprocess.run(
                    ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql],
                    check=True,
                    capture_output=True,
                )
        else:
            subprocess.run(
                ["mysql", "-h", "127.0.0.1", "-u", "root", "-e", f"DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}"],
                check=True,
                capture_output=True,
            )

    def drop(self, db):
        if self.name == "sqlite":
            for p in WORK.glob(f"{db}.db*"):
                p.unlink()
        elif self.name == "postgres":
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                capture_output=True,
            )
        else:
            subprocess.run(["mysql", "-h", "127.0.0.1", "-u", "root", "-e", f"DROP DATABASE IF EXISTS {db}"], capture_output=True)

    def run_sql(self, db, sql):
        """Runs `sql` (one or more statements) in database `db`."""
        if self.name == "sqlite":
            import sqlite3

            with sqlite3.connect(WORK / f"{db}.db") as c:
                c.executescript(sql)
        elif self.name == "postgres":
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-qc", sql],
                check=True, capture_output=True,
            )
        else:
            subprocess.run(["mysql", "-h", "127.0.0.1", "-u", "root", db, "-e", sql], check=True, capture_output=True)

    def url(self, db, tool):
        """The URL `tool` (ours, sqlx, alembic) takes for database `db`."""
        if self.name == "sqlite":
            path = WORK / f"{db}.db"
            return {
                "ours": f"sqlite:///{path}",
                "sqlx": f"sqlite://{path}",
                "refinery": f"sqlite://{path}",
                "alembic": f"sqlite:///{path}",
            }[tool]
        if self.name == "postgres":
            return {
                "ours": f"postgresql://postgres@127.0.0.1:5432/{db}",
                "sqlx": f"postgres://postgres@127.0.0.1:5432/{db}",
                "refinery": f"postgres://postgres@127.0.0.1:5432/{db}",
                "alembic": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{db}",
            }[tool]
        return {
            "ours": f"mysql://root@127.0.0.1:3306/{db}",
            "sqlx": f"mysql://root@127.0.0.1:3306/{db}",
            "refinery": f"mysql://root@127.0.0.1:3306/{db}?prefer_socket=false",
            "alembic": f"mysql+pymysql://root@127.0.0.1:3306/{db}",
        }[tool]

    def count_tables(self, db):
        """How many tables database `db` holds: a check that two tools built the same thing."""
        if self.name == "sqlite":
            import sqlite3

            with sqlite3.connect(WORK / f"{db}.db") as c:
                return c.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchone()[0]
        if self.name == "postgres":
            out = subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atc",
                 "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"],
                check=True, capture_output=True, text=True,
            ).stdout
        else:
            out = subprocess.run(
                ["mysql", "-h", "127.0.0.1", "-u", "root", "-N", "-e",
                 f"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{db}'"],
                check=True, capture_output=True, text=True,
            ).stdout
        return int(out.strip())


BACKENDS = [Backend("sqlite", "sqlite"), Backend("postgres", "postgresql"), Backend("mariadb", "mysql")]
