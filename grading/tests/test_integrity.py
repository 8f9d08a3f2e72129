"""R-ELIG-3: a fraud finding sets the lowest grade directly and goes on the integrity record
(诚信档案), which the bureaus of the enterprise's jurisdiction see on its page."""

import datetime

import pytest
from django.urls import reverse

from grading.models import EnterpriseIndustry, Grade, GradeRecord, Industry, ViolationRecord
from grading.selectors import integrity_record
from grading.services.grades import grade_record_add
from grading.services.violations import violation_record_add
from tests import factories

pytestmark = pytest.mark.django_db


def finding(actor, enterprise, kind=ViolationRecord.Kind.BRIBERY):
    today = datetime.date.today()
    return violation_record_add(
        actor=actor,
        enterprise=enterprise,
        data={
            "kind": kind,
            "occurred_on": today,
            "decided_on": today,
            "document_no": "新环认〔2026〕9号",
            "description": "向评审专家行贿",
        },
    )


def test_r_elig_3_fraud_finding_sets_the_lowest_grade_of_every_industry(county_user):
    ent = factories.enterprise(county="410184", industry="N31")
    EnterpriseIndustry.objects.create(enterprise=ent, industry=Industry.objects.get(code="HN01"))
    grade_record_add(
        actor=None,
        enterprise=ent,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code="A"),
        effective_from=datetime.date(2025, 1, 1),
        source=GradeRecord.Source.IMPORT,
    )
    finding(county_user, ent)
    grades = dict(
        EnterpriseIndustry.objects.filter(enterprise=ent).values_list(
            "industry__code", "current_grade__code"
        )
    )
    assert grades == {"N31": "D", "HN01": "NONLEAD"}
    ent.refresh_from_db()
    assert ent.overall_grade.code == "D"
    records = GradeRecord.objects.filter(enterprise=ent, source=GradeRecord.Source.FRAUD)
    assert records.count() == 2 and all(r.lowers for r in records)


def test_r_elig_3_an_ordinary_penalty_sets_no_grade(county_user):
    ent = factories.enterprise(county="410184", industry="N31")
    finding(county_user, ent, kind=ViolationRecord.Kind.ADMINISTRATIVE_PENALTY)
    assert not GradeRecord.objects.filter(enterprise=ent).exists()


def test_r_elig_3_integrity_record_is_for_the_bureaus_of_the_jurisdiction(
    client, county_user, other_county_user
):
    ent = factories.enterprise(county="410184", industry="N31")
    own = factories.enterprise_user(ent)
    finding(county_user, ent)
    record = integrity_record(viewer=county_user, enterprise=ent)
    assert [v.document_no for v in record["findings"]] == ["新环认〔2026〕9号"]
    assert [r.grade.code for r in record["downgrades"]] == ["D"]
    assert integrity_record(viewer=own, enterprise=ent) is None

    url = reverse("enterprise-detail", args=[ent.pk])
    client.force_login(county_user)
    page = client.get(url).content.decode()
    assert "诚信档案" in page and "向评审专家行贿" in page and "弄虚作假认定" in page
    client.force_login(own)
    assert "诚信档案" not in client.get(url).content.decode()
    client.force_login(other_county_user)
    assert client.get(url).status_code == 404
