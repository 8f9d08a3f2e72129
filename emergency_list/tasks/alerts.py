"""The alert computation as a worker job (``emergency_list.services.alerts.alert_compute``)."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from emergency_list.models import Alert
from emergency_list.services.alerts import alert_compute, alert_fail

logger = logging.getLogger(__name__)

ALERT_SOFT_LIMIT = 10 * 60  # a province (100,000 enterprises) takes seconds


@shared_task(
    name="emergency_list.tasks.compute_alert",
    acks_late=True,
    soft_time_limit=ALERT_SOFT_LIMIT,
    time_limit=ALERT_SOFT_LIMIT + 60,
)
def compute_alert(alert_pk: int) -> str:
    """Compute a called alert; it becomes ready with its totals and duties, or failed with a
    Chinese message and no duties."""
    alert = Alert.objects.select_related("called_by").get(pk=alert_pk)
    try:
        alert_compute(alert=alert)
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
