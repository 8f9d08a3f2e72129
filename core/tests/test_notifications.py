"""Notices reach users in the app and by e-mail, each e-mail once even when the task runs again."""

from smtplib import SMTPException

import pytest
from django.core import mail

from core.notifications import notify
from core.tasks import send_notification_emails

pytestmark = pytest.mark.django_db


def test_a_redelivered_task_sends_no_email_twice(county_user, django_capture_on_commit_callbacks):
    county_user.email = "county@example.cn"
    county_user.save()
    with django_capture_on_commit_callbacks() as callbacks:
        notices = notify(recipients=[county_user], code="t", message="有新的申报待初审")
    assert len(callbacks) == 1  # the e-mail task is queued once the action commits
    ids = [n.pk for n in notices]
    assert send_notification_emails.apply(args=[ids]).get() == 1
    assert len(mail.outbox) == 1
    # The broker delivers the same message again (the worker died after sending).
    assert send_notification_emails.apply(args=[ids]).get() == 0
    assert len(mail.outbox) == 1
    notices[0].refresh_from_db()
    assert notices[0].emailed_at is not None


def test_a_mail_server_failure_is_retried_with_backoff(county_user, monkeypatch):
    county_user.email = "county@example.cn"
    county_user.save()
    assert SMTPException in send_notification_emails.autoretry_for
    assert send_notification_emails.retry_backoff
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise SMTPException("421 try later")
        return 1

    monkeypatch.setattr("core.tasks.send_mail", flaky)
    notices = notify(recipients=[county_user], code="t", message="审核意见已签署")
    # The first attempt fails (Celery retries it: autoretry_for); the notice stays unsent...
    with pytest.raises(SMTPException):
        send_notification_emails.run([notices[0].pk])
    notices[0].refresh_from_db()
    assert notices[0].emailed_at is None
    # ...so the retry sends it.
    assert send_notification_emails.run([notices[0].pk]) == 1 and len(calls) == 2
