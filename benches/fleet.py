#!/usr/bin/env python3
"""Runs over many databases at scale, and prints the fleet table of docs/benchmarks.md:
PostgreSQL schemas (--schemas-from), SQLite files (--databases) and MariaDB databases
(--schemas), each migrated over a generated chain and then run again with nothing to do, at
--jobs 1, 2 and 4. Every figure is measured in the same run as its baseline: the fleet run's
time against N x one database's run (a whole process on a fresh database, the median of five)
divided by the jobs; the peak memory of the fleet run against that of a run over a tenth as
many databases.

    python3 benches/fleet.py                                   # 1,000 schemas, 10,000 files, 200 databases
    python3 benches/fleet.py --postgres 100 --sqlite 100 --mariadb 20 --jobs 1,4   # a quick look
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from peers import WORK  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
MARIADB = "mysql://root@127.0.0.1:3306"
BENCH_DB = "fleet_bench"
CORES = os.cpu_count() or 1


def psql(db, sql):
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-qc", sql],
        check=True,
        capture_output=True,
    )


def mysql(sql):
    subprocess.run(["mysql", "-h", "127.0.0.1", "-u", "root", "-e", sql], check=True, capture_output=True)


def measured(command):
    """Wall seconds and peak resident bytes of `command` (by /usr/bin/time)."""
    with tempfile.NamedTemporaryFile("r") as out:
        start = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%M", *command], capture_output=True)
        took = time.perf_counter() - start
        if result.returncode:
            raise SystemExit(f"{command[:6]} failed:\n{result.stderr.decode(errors='replace')[-3000:]}")
        return took, int(out.read().split()[-1]) * 1024


class Fleet:
    """N tenants of one kind, made fresh on demand, and the arguments naming them."""

    def __init__(self, kind, n):
        self.kind, self.n = kind, n

    def fresh(self, n=None):
        n = self.n if n is None else n
        if self.kind == "postgres":
            psql("postgres", f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            psql("postgres", f"CREATE DATABASE {BENCH_DB}")
            psql(BENCH_DB, f"DO $$ BEGIN FOR i IN 0..{n - 1} LOOP EXECUTE format('CREATE SCHEMA t_%s', lpad(i::text, 5, '0')); END LOOP; END $$")
            return ["--database-connection", f"{PG}/{BENCH_DB}", "--schemas-from",
                    "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE 't\\_%' ORDER BY 1"]
        if self.kind == "mariadb":
            mysql(";".join(f"DROP DATABASE IF EXISTS fb_{i:04}" for i in range(max(n, self.n))))
            mysql(";".join(f"CREATE DATABASE fb_{i:04}" for i in range(n)))
            names = WORK / "fleet-mariadb.txt"
            names.write_text("".join(f"fb_{i:04}\n" for i in range(n)))
            return ["--database-connection", f"{MARIADB}/mysql", "--schemas", str(names)]
        files = WORK / "fleet-sqlite"
        shutil.rmtree(files, ignore_errors=True)
        files.mkdir(parents=True)
        listed = WORK / "fleet-sqlite.txt"
        listed.write_text("".join(f"sqlite:///{files}/t{i:05}.db\n" for i in range(n)))
        return ["--databases", str(listed)]

    def one(self):
        """A fresh database of this kind, alone: its URL."""
        if self.kind == "postgres":
            psql("postgres", "DROP DATABASE IF EXISTS fleet_one WITH (FORCE)")
            psql("postgres", "CREATE DATABASE fleet_one")
            return f"{PG}/fleet_one"
        if self.kind == "mariadb":
            mysql("DROP DATABASE IF EXISTS fleet_one; CREATE DATABASE fleet_one")
            return f"{MARIADB}/fleet_one"
        path = WORK / "fleet-one.db"
        for leftover in WORK.glob("fleet-one.db*"):
            leftover.unlink()
        return f"sqlite:///{path}"

    def clean(self):
        if self.kind == "postgres":
            psql("postgres", f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            psql("postgres", "DROP DATABASE IF EXISTS fleet_one WITH (FORCE)")
        elif self.kind == "mariadb":
            mysql(";".join(f"DROP DATABASE IF EXISTS fb_{i:04}" for i in range(self.n)) + "; DROP DATABASE IF EXISTS fleet_one")
        else:
            shutil.rmtree(WORK / "fleet-sqlite", ignore_errors=True)


def single(binary, fleet, runs=5):
    """Median wall seconds of one database's upgrade, a whole process on a fresh database."""
    times = []
    for _ in range(runs):
        url = fleet.one()
        took, _ = measured([str(binary), "-q", "--database-connection", url, "upgrade", "head"])
        times.append(took)
    return statistics.median(times)


def bench(binary, kind, n, jobs_list):
    fleet = Fleet(kind, n)
    one = single(binary, fleet)
    rows = []
    for jobs in jobs_list:
        args = fleet.fresh()
        run = [str(binary), "-q", "--jobs", str(jobs), *args, "upgrade", "head"]
        took, peak = measured(run)
        again, again_peak = measured(run)
        rows.append((jobs, took, peak, again, again_peak))
    # Memory against a run over a tenth as many.
    args = fleet.fresh(max(n // 10, 1))
    _, small_peak = measured([str(binary), "-q", "--jobs", str(jobs_list[-1]), *args, "upgrade", "head"])
    fleet.clean()
    return one, rows, small_peak


def fmt(seconds):
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", type=int, default=1000, help="PostgreSQL schemas (0: none)")
    parser.add_argument("--sqlite", type=int, default=10000, help="SQLite files (0: none)")
    parser.add_argument("--mariadb", type=int, default=200, help="MariaDB databases (0: none)")
    parser.add_argument("--jobs", default="1,2,4")
    parser.add_argument("--chain", type=int, default=20, help="revisions in the generated chain")
    args = parser.parse_args()
    jobs_list = [int(j) for j in args.jobs.split(",")]
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"building an application with a {args.chain}-revision chain ...", file=sys.stderr)
    peers.ours_app(n=args.chain)
    binary = peers.TARGET / "release" / peers.app_name(args.chain)
    print(
        f"| tenants | one database alone | --jobs | fleet run | against N x one / jobs | "
        f"against N x one / min(jobs, {CORES} cores) | no-op rerun | peak memory (run, rerun) | peak at N/10 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, n in (("postgres", args.postgres), ("sqlite", args.sqlite), ("mariadb", args.mariadb)):
        if n <= 0:
            continue
        print(f"{kind}: {n:,} tenants ...", file=sys.stderr)
        one, rows, small_peak = bench(binary, kind, n, jobs_list)
        label = {"postgres": "PostgreSQL schemas", "sqlite": "SQLite files", "mariadb": "MariaDB databases"}[kind]
        for jobs, took, peak, again, again_peak in rows:
            expected = n * one / jobs
            at_most = n * one / min(jobs, CORES)
            print(
                f"| {n:,} {label} | {fmt(one)} | {jobs} | {fmt(took)} | {took / expected:.2f}x | "
                f"{took / at_most:.2f}x | {fmt(again)} | "
                f"{peak / 2**20:.1f} MB, {again_peak / 2**20:.1f} MB | {small_peak / 2**20:.1f} MB |",
                flush=True,
            )


if __name__ == "__main__":
    main()
