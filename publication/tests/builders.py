"""Builders for publication tests: decided results recorded through grading's service, the
bureaus' users and their designated handlers."""

import datetime

from grading.models import Grade, GradeRecord, Industry, Region, User
from grading.services.grades import grade_record_add
from publication.services.handlers import handler_designate
from tests import factories

DAY = datetime.date(2026, 3, 2)  # a Monday


def grade(code: str) -> Grade:
    return Grade.objects.get(code=code)


def decided(
    enterprise,
    code: str,
    *,
    industry: str | None = None,
    on: datetime.date = DAY,
    source: str = GradeRecord.Source.REVIEW,
) -> GradeRecord:
    """A result decided by the review chain for the enterprise's (main) industry."""
    ind = (
        Industry.objects.get(code=industry)
        if industry
        else enterprise.industries.get(is_main=True).industry
    )
    return grade_record_add(
        actor=None,
        enterprise=enterprise,
        industry=ind,
        grade=grade(code),
        effective_from=on,
        source=source,
        reason="认定",
    )


def staff(role: str, code: str, **kw) -> User:
    return factories.staff_user(role, code, **kw)


def designated(role: str, code: str, **kw) -> User:
    user = staff(role, code, **kw)
    handler_designate(actor=factories.admin_user(), user=user)
    return user


def region(code: str) -> Region:
    return Region.objects.get(code=code)
