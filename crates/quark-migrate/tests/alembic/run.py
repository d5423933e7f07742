"""Runs a revision graph through Alembic itself, for tests/alembic.rs to compare with ours.

Reads one JSON document on stdin:
    {"revisions": [{"id", "parents": [...], "labels": [...], "depends_on": [...], "message"}],
     "cases": [{"setup": ["upgrade a2", ...], "command": "downgrade -1"}]}
and writes, for each case in order, what the command left behind on a fresh SQLite database:
    {"setup": [...], "command": str (the case, echoed), "ok": bool, "refusal": str (the
     exception type when Alembic refused, else ""), "error": str, "rows": [version rows, sorted],
     "tables": [t_* tables, sorted], "stdout": [lines printed]}
Each revision creates t_<id> on upgrade and drops it on downgrade (merges run nothing), exactly as
the SQL revisions tests/alembic.rs writes for our side.

Only Alembic's own refusals of the command (REFUSALS) are results. Anything else raised, and any
failure of a setup command, is a bug of this harness or of the case, or a crash: it is not caught,
so run.py exits non-zero with its traceback and the test fails.
"""

import io
import json
import os
import sqlite3
import sys
import tempfile
import warnings

from alembic import command
from alembic.config import Config
from alembic.script.revision import RevisionError
from alembic.util import CommandError

# What Alembic raises when it refuses a command: CommandError (the revision errors of a walk are
# re-raised as one by ScriptDirectory), and the revision map's own RevisionError family
# (MultipleHeads, ResolutionError, RangeNotAncestorError, CycleDetected, ...) should one escape.
REFUSALS = (CommandError, RevisionError)

ENV_PY = '''
from alembic import context
from sqlalchemy import create_engine

url = context.config.get_main_option("sqlalchemy.url")
connectable = create_engine(url)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''

SCRIPT = '''"""{message}

Revision ID: {id}
Revises: {revises}
"""
from alembic import op

revision = {id!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = {depends!r}


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


def write_scripts(directory, revisions):
    os.makedirs(os.path.join(directory, "versions"))
    with open(os.path.join(directory, "env.py"), "w") as f:
        f.write(ENV_PY)
    for rev in revisions:
        parents = rev["parents"]
        down = None if not parents else parents[0] if len(parents) == 1 else tuple(parents)
        merge = len(parents) > 1
        body = "    pass" if merge else '    op.execute("CREATE TABLE t_%s (x INT)")' % rev["id"]
        undo = "    pass" if merge else '    op.execute("DROP TABLE t_%s")' % rev["id"]
        labels = tuple(rev.get("labels", [])) or None
        depends = tuple(rev.get("depends_on", [])) or None
        with open(os.path.join(directory, "versions", rev["id"] + ".py"), "w") as f:
            f.write(
                SCRIPT.format(
                    id=rev["id"],
                    message=rev.get("message", "rev " + rev["id"]),
                    revises=", ".join(parents) or "None",
                    down=down,
                    labels=labels,
                    depends=depends,
                    upgrade=body,
                    downgrade=undo,
                )
            )


def run(config, words):
    verb, args = words[0], words[1:]
    if verb == "upgrade":
        command.upgrade(config, args[0])
    elif verb == "downgrade":
        command.downgrade(config, args[0])
    elif verb == "stamp":
        purge = "--purge" in args
        command.stamp(config, [a for a in args if a != "--purge"][0], purge=purge)
    elif verb == "history":
        rev_range = args[args.index("-r") + 1] if "-r" in args else None
        command.history(config, rev_range)
    elif verb == "heads":
        command.heads(config)
    elif verb == "branches":
        command.branches(config)
    elif verb == "current":
        command.current(config)
    elif verb == "show":
        command.show(config, args[0])
    else:
        raise SystemExit("unknown command %r" % verb)


def state(db):
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = []
        if "alembic_version" in names:
            rows = sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
        return rows, sorted(n for n in names if n.startswith("t_"))
    finally:
        conn.close()


def main():
    spec = json.load(sys.stdin)
    with tempfile.TemporaryDirectory() as directory:
        scripts = os.path.join(directory, "scripts")
        write_scripts(scripts, spec["revisions"])
        results = []
        for i, case in enumerate(spec["cases"]):
            db = os.path.join(directory, "case%d.db" % i)
            out = io.StringIO()
            config = Config(stdout=out)
            config.set_main_option("script_location", scripts)
            config.set_main_option("sqlalchemy.url", "sqlite:///" + db)
            result = {"setup": case["setup"], "command": case["command"], "ok": True, "refusal": "", "error": ""}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    # The setup must succeed: a refused setup is a mistake of the case.
                    for setup in case["setup"]:
                        run(config, setup.split())
                    out.seek(0)
                    out.truncate()
                    try:
                        run(config, case["command"].split())
                    except REFUSALS as e:
                        result.update(ok=False, refusal=type(e).__name__, error="%s: %s" % (type(e).__name__, e))
            except BaseException:
                sys.stderr.write("run.py: case %d (%s | %s) did not run: not a refusal of Alembic's\n"
                                 % (i, "; ".join(case["setup"]), case["command"]))
                raise
            result["rows"], result["tables"] = state(db)
            result["stdout"] = [line for line in out.getvalue().splitlines() if line.strip()]
            results.append(result)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
