"""Real Celery workers for tests: a process on the test database and the real Redis broker,
started and stopped by its process id (what production runs, not the eager shortcut)."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app

READY_TIMEOUT = 40
QUEUES = "forms,documents,bulk"


def worker_database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        user += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Worker:
    proc: subprocess.Popen
    name: str
    log: Path
    eager_before: bool = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill_all(self) -> None:
        """SIGKILL the worker and its pool children (a machine gone, an OOM of the group)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> None:
        app.conf.task_always_eager = self.eager_before
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def queues_purge(broker_url: str, queues: str = QUEUES) -> None:
    """Drop messages other tests left in the queues (tasks queued without a worker running), so
    a test's worker starts on the test's own messages, not on a backlog of stale ones."""
    with app.connection_for_write(broker_url) as conn:
        for queue in queues.split(","):
            conn.default_channel.queue_purge(queue)


def start_worker(
    var_dir: Path,
    log: Path,
    *,
    env: dict | None = None,
    pool: str = "prefork",
    queues: str = QUEUES,
    broker_url: str | None = None,
) -> Worker:
    """Start a worker in its own process group (so a test can kill it whole) and wait until it
    answers a ping."""
    full_env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": broker_url or settings.REDIS_URL,
        "VAR_DIR": str(var_dir),
        "CONN_MAX_AGE": "0",
        **(env or {}),
    }
    full_env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    queues_purge(full_env["REDIS_URL"], queues)
    # Celery keeps the configuration it first read: a browser test that read it while its
    # settings said "eager" would otherwise make this test run its tasks in-process.
    eager_before, app.conf.task_always_eager = app.conf.task_always_eager, False
    name = f"test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                queues,
                "-n",
                name,
            ],
            cwd=settings.BASE_DIR,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(proc, name, log, eager_before)
    deadline = time.monotonic() + READY_TIMEOUT
    while not app.control.ping(destination=[name], timeout=1):
        if proc.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            pytest.fail(f"Celery worker did not start:\n{worker.text()}")
    return worker


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = ""):
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
        time.sleep(interval)
