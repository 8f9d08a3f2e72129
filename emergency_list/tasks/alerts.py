"""The alert computation as a worker job (``emergency_list.services.alerts.alert_compute``),
under ``core.jobs.job_run``: a heartbeat while it computes (its progress is committed per city
by the computation itself), a killed worker's alert failed with a plain message and its partial
duties removed, passing faults retried after a backoff. A redelivery of a finished alert does
nothing; a re-run starts by clearing what an interrupted one left."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from core.jobs import FAILED, WORKER_LOST, JobKind, job_kind, job_run
from emergency_list.models import Alert
from emergency_list.services.alerts import alert_compute, alert_fail
from emergency_list.tasks.retry import RETRY, TRANSIENT

logger = logging.getLogger(__name__)

ALERT_SOFT_LIMIT = 10 * 60  # a province (100,000 enterprises) takes seconds
ALERT_TASK = "emergency_list.tasks.compute_alert"


def _alert_lost(alert_pk: str) -> None:
    alert_fail(alert_pk=int(alert_pk), error=WORKER_LOST)  # no duties of a half-done run


job_kind(
    ALERT_TASK,
    JobKind(
        model=Alert, final=("ready", "failed"), finished_field="finished_at", on_lost=_alert_lost
    ),
)


@shared_task(
    name=ALERT_TASK,
    bind=True,
    acks_late=True,
    soft_time_limit=ALERT_SOFT_LIMIT,
    time_limit=ALERT_SOFT_LIMIT + 60,
    **RETRY,
)
def compute_alert(self, alert_pk: int) -> str:
    """Compute a called alert; it becomes ready with its totals and duties, or failed with a
    Chinese message and no duties."""
    with job_run(self, ALERT_TASK, alert_pk) as run:
        if run.skip:
            return ""
        alert = Alert.objects.select_related("called_by").get(pk=alert_pk)
        if alert.status in (Alert.Status.READY, Alert.Status.FAILED):
            return alert.status  # a redelivered message of an alert that already ended
        try:
            alert_compute(alert=alert)
        except TRANSIENT:
            if _last_attempt(self):  # no retry follows: no duties of a half-done run
                alert_fail(alert_pk=alert_pk, error=FAILED)
            raise  # otherwise retried after a backoff (autoretry_for)
        except SoftTimeLimitExceeded:
            alert_fail(alert_pk=alert_pk, error="测算超时，未保存结果；请缩小预警范围后重试")
            return Alert.Status.FAILED
        except Exception as exc:
            logger.exception("alert %s failed", alert_pk)
            alert_fail(
                alert_pk=alert_pk,
                error=f"测算失败，未保存结果（{type(exc).__name__}）；请稍后重试或联系管理员",
            )
            return Alert.Status.FAILED
        return Alert.Status.READY


def _last_attempt(task) -> bool:
    request = task.request
    return bool(request.is_eager) or (request.retries or 0) >= task.max_retries
