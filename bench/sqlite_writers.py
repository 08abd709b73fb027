"""Concurrent writers on SQLite: why the embedded studio runs it in WAL mode with IMMEDIATE transactions.

    python bench/sqlite_writers.py [--threads 8] [--transactions 200] [--runs 3]

In the embedded mode the web server and the worker thread write to one SQLite file at once. Each
thread here runs transactions shaped like the worker's progress writes (read the job row, update it,
insert a row), through Django's SQLite backend, and counts those that fail with "database is
locked". Rows: Django's defaults, each of the studio's two changes alone, and the studio's own
``DATABASES["default"]["OPTIONS"]`` read from ``studio/settings.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONFIGURATIONS = {
    "django defaults": {},
    "WAL only": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    "IMMEDIATE only": {"transaction_mode": "IMMEDIATE"},
}


def studio_options(data_dir: Path) -> dict:
    """The OPTIONS the embedded studio uses, from its settings module (nothing copied here)."""
    os.environ["STUDIO_DATA_DIR"] = str(data_dir)
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    from studio import settings as studio_settings

    return dict(studio_settings.DATABASES["default"]["OPTIONS"])


def configure(root: Path) -> list[str]:
    import django
    from django.conf import settings

    configurations = {**CONFIGURATIONS, "studio settings": studio_options(root / "studio-data")}
    databases = {
        name: {"ENGINE": "django.db.backends.sqlite3", "NAME": root / f"{index}.sqlite3", "OPTIONS": options}
        for index, (name, options) in enumerate(configurations.items())
    }
    settings.configure(DATABASES={"default": databases["django defaults"], **databases}, INSTALLED_APPS=[])
    django.setup()
    return list(configurations)


def create_tables(alias: str, rows: int) -> None:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS job")
        cursor.execute("DROP TABLE IF EXISTS event")
        cursor.execute("CREATE TABLE job (id INTEGER PRIMARY KEY, percent REAL, step TEXT)")
        cursor.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, job INTEGER, sent_at REAL)")
        for job in range(rows):
            cursor.execute("INSERT INTO job VALUES (%s, 0, '')", [job])


def writer(alias: str, job: int, transactions: int, failures: list[str]) -> None:
    from django.db import OperationalError, connections, transaction

    for step in range(transactions):
        try:
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                cursor.execute("SELECT percent FROM job WHERE id = %s", [job])
                percent = cursor.fetchone()[0]
                cursor.execute(
                    "UPDATE job SET percent = %s, step = %s WHERE id = %s", [percent + 1, f"step {step}", job]
                )
                cursor.execute("INSERT INTO event (job, sent_at) VALUES (%s, %s)", [job, time.time()])
        except OperationalError as error:
            failures.append(str(error))
    connections[alias].close()


def run(alias: str, threads: int, transactions: int) -> tuple[int, set[str], float]:
    from django.db import connections

    create_tables(alias, threads)
    connections.close_all()
    failures: list[str] = []
    workers = [
        threading.Thread(target=writer, args=(alias, job, transactions, failures)) for job in range(threads)
    ]
    started = time.monotonic()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return len(failures), set(failures), time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--transactions", type=int, default=200, help="per thread")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    total = args.threads * args.transactions
    with tempfile.TemporaryDirectory(prefix="sqlite-writers-") as root:
        names = configure(Path(root))
        print(f"{args.threads} threads x {args.transactions} transactions, {args.runs} runs per row")
        print(f"{'configuration':<18} {'failed (each run)':<28} {'seconds (each run)':<20} errors")
        for name in names:
            results = [run(name, args.threads, args.transactions) for _ in range(args.runs)]
            failed = " ".join(f"{count}/{total}" for count, _, _ in results)
            seconds = " ".join(f"{elapsed:.1f}" for _, _, elapsed in results)
            messages = sorted(set().union(*(errors for _, errors, _ in results)))
            print(f"{name:<18} {failed:<28} {seconds:<20} {'; '.join(messages) or '-'}", flush=True)


if __name__ == "__main__":
    main()
