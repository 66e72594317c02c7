"""The embedded default (SQLite): two requests that read, then write, at the same moment both succeed.

A double tap once answered 503 on SQLite: each request's transaction (ATOMIC_REQUESTS) read first, then both
tried to upgrade to writing and SQLite refused one at once ("database is locked"). The settings now begin
SQLite transactions IMMEDIATE, so the second waits for the first. Run in a subprocess: the suite's own
database is PostgreSQL, and the settings read DATABASE_URL when they load.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RACE = """
import threading, time
import django
django.setup()
from django.db import connection, connections, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE tap (n integer)")
errors = []
def tap():
    try:
        with transaction.atomic():  # as a request does
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM tap")
                time.sleep(0.3)  # both have read before either writes
                cursor.execute("INSERT INTO tap VALUES (1)")
    except Exception as error:
        errors.append(repr(error))
    finally:
        connections.close_all()
threads = [threading.Thread(target=tap) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM tap")
    print(cursor.fetchone()[0], errors)
"""


def test_it_lets_two_sqlite_transactions_that_read_then_write_both_commit(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    result = subprocess.run(
        [sys.executable, "-c", RACE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "2 []", result.stdout + result.stderr
