"""Background jobs that always end: one mechanism for every worker task that owns a job row
(an Excel export or import, a package, a form, a bundle, a list download).

A task wraps its work in ``job_run``. The run is recorded in ``core.JobRun``; while it works a
heartbeat thread, on a database connection of its own (Django's connections are per thread),
writes the heartbeat and the latest progress every few seconds, so other users see progress
move even while the job's own transaction is open (the list export reads in one REPEATABLE
READ transaction). When the worker dies:

- a pool child killed (out of memory, ``kill <pid>``): Celery rejects the message
  (``task_reject_on_worker_lost`` with ``task_acks_late``) and it is delivered again; the run
  counts attempts and, past ``JOB_MAX_ATTEMPTS``, ends the job failed with a plain message
  instead of killing the next worker too;
- the whole worker gone: the message waits in Redis until the broker's visibility timeout;
  meanwhile the beat task ``fail_stalled_jobs`` ends every run whose heartbeat stopped
  (``JOB_STALE_SECONDS``) and marks its job failed, and a late redelivery of that same
  message does nothing.

Each app registers its job models with ``job_kind`` (what "failed" means for that row); core
imports no app. Starting a job first asks ``broker_check``: with Redis down the user is told
plainly that background work is unavailable, and nothing is recorded or lost.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from celery.signals import worker_process_init
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import JobRun

logger = logging.getLogger(__name__)

#: What the user reads when a job's worker died and the job was not finished by a retry.
WORKER_LOST = "后台处理进程意外中断，任务未完成，未生成文件；请重新发起"
TOO_MANY_ATTEMPTS = (
    "后台处理进程多次中断（可能超出内存限制），任务已停止，未生成文件；请缩小范围后重试"
)
FAILED = "后台处理失败，未生成文件；请稍后重试或联系管理员"
BROKER_DOWN = "后台处理服务暂时不可用，任务未能开始；请稍后重新发起"
DATABASE_LOST = "处理过程中数据库连接中断，任务未完成，未生成文件；请重新发起"
OUT_OF_MEMORY = "处理所需内存超出限制，任务已停止，未保存任何数据；请拆分文件或缩小范围后重试"


class BackgroundUnavailable(ValidationError):
    """The broker cannot take a job now; what the user typed is kept and they may retry."""


@dataclass(frozen=True)
class JobKind:
    """How a job row reports its state: the fields a failure writes."""

    model: type[models.Model]
    status_field: str = "status"
    progress_field: str | None = "progress"
    error_field: str | None = "error"
    failed: str = "failed"
    #: Statuses a job ends in; a stalled run never overwrites them.
    final: tuple[str, ...] = ("ready", "failed", "validated")
    #: Extra clean-up when a run is ended from outside (temporary files of a killed export).
    on_lost: Callable[[str], None] | None = None
    #: A "finished at" field set when the job is failed from outside, if the row has one.
    finished_field: str | None = None

    def fail(self, pk, message: str) -> int:
        """Mark the job failed with ``message`` unless it already ended; returns rows changed."""
        values = {self.status_field: self.failed}
        if self.finished_field:
            values[self.finished_field] = timezone.now()
        if self.error_field:
            limit = self.model._meta.get_field(self.error_field).max_length or 300
            values[self.error_field] = message[:limit]
        if self.progress_field:
            values[self.progress_field] = 0
        return (
            self.model.objects.filter(pk=pk)
            .exclude(**{f"{self.status_field}__in": self.final})
            .update(**values)
        )


KINDS: dict[str, JobKind] = {}


def job_kind(task_name: str, kind: JobKind) -> None:
    """Register what task ``task_name`` works on (called where the task is defined)."""
    KINDS[task_name] = kind


_in_pool_child = False


@worker_process_init.connect
def _pool_child(**kwargs) -> None:
    global _in_pool_child
    _in_pool_child = True


def heartbeat_seconds() -> float:
    return float(getattr(settings, "JOB_HEARTBEAT_SECONDS", 10))


def stale_seconds() -> float:
    return float(getattr(settings, "JOB_STALE_SECONDS", 90))


def max_attempts() -> int:
    return int(getattr(settings, "JOB_MAX_ATTEMPTS", 3))


class Run:
    """The handle a task works with: ``skip`` when there is nothing to do, ``progress(pct)``."""

    def __init__(self, kind: JobKind, pk, run_pk: int | None, threaded: bool) -> None:
        self.kind = kind
        self.pk = pk
        self.run_pk = run_pk
        self.skip = run_pk is None
        self._value = 0
        self._written = 0  # the job row's own progress is left alone until this moves
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        if threaded and not self.skip:
            thread = threading.Thread(target=self._beat, name="job-heartbeat", daemon=True)
            try:
                thread.start()
                self._thread = thread
            except RuntimeError:  # no thread to be had (memory cap): write in-line instead
                logger.warning("job %s: heartbeat written in-line", pk)

    def progress(self, pct: int) -> None:
        """Record progress (0–100); written at once off-thread, or here when not threaded."""
        pct = max(0, min(100, int(pct)))
        with self._lock:
            if pct == self._value:
                return
            self._value = pct
        if self._thread is None:
            self._write()
        else:
            self._wake.set()

    def _write(self) -> None:
        with self._lock:
            value = self._value
        JobRun.objects.filter(pk=self.run_pk).update(heartbeat_at=timezone.now(), progress=value)
        if value != self._written and self.kind.progress_field:
            self.kind.model.objects.filter(pk=self.pk).exclude(
                **{f"{self.kind.status_field}__in": self.kind.final}
            ).update(**{self.kind.progress_field: value})
        self._written = value

    def _beat(self) -> None:
        try:
            # ``_begin`` has just written the heartbeat: the first write is due a beat later or
            # when progress moves, so a job shorter than a beat opens no second connection.
            while True:
                self._wake.wait(heartbeat_seconds())
                self._wake.clear()
                if self._stop.is_set():
                    return
                try:
                    self._write()
                except Exception:  # a database restart: the next beat tries again
                    logger.warning("job heartbeat failed", exc_info=True)
                    connection.close()
                # at most a few writes a second, however often progress moves
                self._stop.wait(0.3)
        finally:
            connection.close()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=heartbeat_seconds() + 5)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _begin(task_name: str, task_id: str, kind: JobKind, pk) -> int | None:
    """Record the start of a delivery; ``None`` when this delivery must do nothing."""
    ct = ContentType.objects.get_for_model(kind.model)
    now = timezone.now()
    with transaction.atomic():
        run, created = JobRun.objects.select_for_update().get_or_create(
            content_type=ct,
            object_id=str(pk),
            defaults={"task_name": task_name, "task_id": task_id, "attempts": 0},
        )
        redelivered = not created and task_id and run.task_id == task_id
        if redelivered and run.state in (JobRun.State.LOST, JobRun.State.FAILED):
            # The beat task already ended this run and told the user; a late copy of its
            # message must not bring the job back.
            return None
        run.attempts = run.attempts + 1 if redelivered else 1
        run.task_name, run.task_id = task_name, task_id
        if run.attempts > max_attempts():
            run.state, run.finished_at, run.message = JobRun.State.FAILED, now, TOO_MANY_ATTEMPTS
            run.save()
            kind.fail(pk, TOO_MANY_ATTEMPTS)
            return None
        run.state, run.progress, run.message = JobRun.State.RUNNING, 0, ""
        run.started_at = run.heartbeat_at = now
        run.finished_at = None
        run.worker = _worker_name()
        run.save()
        return run.pk


@contextmanager
def job_run(task, kind_or_name: JobKind | str, pk) -> Iterator[Run]:
    """Run one job of ``task`` (a bound Celery task) on row ``pk``. Use as::

        with job_run(self, "emergency_list.tasks_excel.export_list", job_pk) as run:
            if run.skip:
                return ""
            ...  run.progress(40) ...

    On leaving, the run is recorded as ended; an exception that is not retried marks the job
    failed (its own message if the task wrote one, else a plain one) and is raised again."""
    kind = KINDS[kind_or_name] if isinstance(kind_or_name, str) else kind_or_name
    request = getattr(task, "request", None)
    task_id = (getattr(request, "id", None) or "") if request else ""
    try:
        run_pk = _begin(task.name, task_id, kind, pk)
    except MemoryError:  # the worker's memory cap, reached before the work began
        _on_a_working_connection(lambda: kind.fail(pk, OUT_OF_MEMORY))
        raise
    # Off-thread writes need a second connection that sees committed rows: PostgreSQL, and a
    # task not already inside a transaction (the eager mode of tests runs inside one).
    threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
    run = Run(kind, pk, run_pk, threaded)
    if run.skip:
        yield run
        return
    try:
        yield run
    except BaseException as exc:
        run.stop()
        retrying = _will_retry(task, exc)
        state = JobRun.State.RUNNING if retrying else JobRun.State.FAILED
        values = {"state": state, "message": type(exc).__name__[:300]}
        if retrying:
            # the retry comes after a backoff: give the beat task that long before it looks;
            # a retry is not a delivery lost with its worker, so it does not count as one
            grace = getattr(task, "retry_backoff_max", 600) or 600
            values["heartbeat_at"] = timezone.now() + timedelta(seconds=grace)
            values["attempts"] = models.F("attempts") - 1
        else:
            values["finished_at"] = timezone.now()
        if isinstance(exc, MemoryError):
            message = OUT_OF_MEMORY
        elif isinstance(exc, DatabaseError):
            message = DATABASE_LOST
        else:
            message = FAILED

        def record() -> None:
            if not retrying:
                kind.fail(pk, message)
            JobRun.objects.filter(pk=run_pk).update(**values)

        _on_a_working_connection(record)
        if isinstance(exc, MemoryError) and _in_pool_child:
            # A process that reached its memory cap may not even start a thread for the next
            # job: it leaves once this failure is reported, and the pool starts a fresh one.
            raise SystemExit(1) from exc
        raise
    run.stop()
    JobRun.objects.filter(pk=run_pk).update(
        state=JobRun.State.SUCCEEDED, progress=100, finished_at=timezone.now()
    )


def _on_a_working_connection(write: Callable[[], None], *, tries: int = 15) -> None:
    """Run ``write``; when the database connection was cut (a PostgreSQL restart), close it and
    try again on a new one for a while, so the job still ends with its message. Gives up
    quietly: the beat task ends the run once its heartbeat is stale."""
    for attempt in range(tries):
        try:
            write()
            return
        except DatabaseError:
            if connection.in_atomic_block:
                raise
            connection.close()
            if attempt + 1 < tries:
                time.sleep(1)
    logger.error("could not record the end of a job: the database did not come back")


def _will_retry(task, exc: BaseException) -> bool:
    autoretry = tuple(getattr(task, "autoretry_for", ()) or ())
    if not autoretry or not isinstance(exc, autoretry):
        return False
    request = getattr(task, "request", None)
    if request is None:
        return False
    limit = task.max_retries
    return limit is None or (request.retries or 0) < limit


def stalled_jobs_fail(*, now=None) -> int:
    """End every run whose heartbeat stopped more than ``JOB_STALE_SECONDS`` ago: the run is
    recorded as lost and its job failed with a plain message (run by beat every minute)."""
    current_app.loader.import_default_modules()  # every app's tasks register their kinds
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=stale_seconds())
    ended = 0
    stale = JobRun.objects.filter(state=JobRun.State.RUNNING, heartbeat_at__lt=cutoff)
    for pk in stale.values_list("pk", flat=True):
        with transaction.atomic():
            run = (
                JobRun.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=JobRun.State.RUNNING, heartbeat_at__lt=cutoff)
                .first()
            )
            if run is None:
                continue
            run.state, run.finished_at, run.message = JobRun.State.LOST, now, WORKER_LOST
            run.save(update_fields=["state", "finished_at", "message"])
            kind = KINDS.get(run.task_name)
            if kind is None:
                logger.error("stalled run %s of unknown task %s", run.pk, run.task_name)
                continue
            kind.fail(run.object_id, WORKER_LOST)
            if kind.on_lost is not None:
                transaction.on_commit(lambda k=kind, o=run.object_id: k.on_lost(o))
            ended += 1
    if ended:
        logger.warning("ended %s background jobs whose worker stopped", ended)
    return ended


def job_enqueue(task, pk, *args) -> bool:
    """Queue ``task(pk, *args)`` (from ``transaction.on_commit``). Should the broker fail
    between ``broker_check`` and the commit, the job is marked failed with a plain message
    instead of waiting for ever, and the request still answers."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        task.delay(pk, *args)  # runs here: its own errors are the caller's to see
        return True
    try:
        task.delay(pk, *args)
        return True
    except Exception:  # only publishing can fail here: the task runs elsewhere
        logger.exception("could not queue %s(%s)", task.name, pk)
        kind = KINDS.get(task.name)
        if kind is not None:
            kind.fail(pk, BROKER_DOWN)
        return False


def broker_check() -> None:
    """Raise ``BackgroundUnavailable`` unless the broker answers now (eager mode: always)."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        logger.warning("broker unavailable: %s", exc)
        raise BackgroundUnavailable(
            _("后台处理服务暂时不可用，任务未能开始；您填写的内容已保留，请稍后再试"),
            code="background_unavailable",
        ) from exc
