"""The enterprise's own results, drafts deleted on purpose, and a new year's declaration
started as a copy of last year's (issue: each role finds its results)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import AuditEvent
from declarations.models import Declaration, Evidence
from declarations.services import carryover, lifecycle
from declarations.tests.api_support import BASE, client_for, decide
from grading.models import Grade, GradeRecord, Industry
from grading.services.grades import grade_record_add
from tests import declaration_builders as builders

pytestmark = pytest.mark.django_db
LAST_YEAR = datetime.datetime(2025, 9, 1, 10, 0)


@pytest.fixture
def last_year(time_machine, enterprise_user, county_user, media_and_eager):
    """A declaration submitted and decided last year, with evidence."""
    time_machine.move_to(LAST_YEAR, tick=False)
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    lifecycle.declaration_start_review(actor=county_user, declaration=d)
    decide(d)
    time_machine.move_to(datetime.datetime(2026, 3, 1, 10, 0), tick=False)
    return Declaration.objects.get(pk=d.pk)


def test_draft_never_submitted_is_deleted_with_its_files_and_recorded(
    enterprise_user, media_and_eager
):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    files = [e.file.path for e in d.evidence.all()]
    assert files
    carryover.declaration_draft_delete(actor=enterprise_user, declaration=d, reason="重复创建")
    assert not Declaration.objects.filter(pk=d.pk).exists()
    assert not Evidence.objects.filter(declaration_id=d.pk).exists()
    event = AuditEvent.objects.get(code="declaration.draft_deleted")
    assert event.reason == "重复创建" and d.number in event.summary
    assert event.object_id == str(d.enterprise_id)


def test_submitted_or_foreign_declarations_are_not_deleted(enterprise_user, other_user, submitted):
    with pytest.raises(ValidationError):
        carryover.declaration_draft_delete(actor=enterprise_user, declaration=submitted)
    lifecycle.declaration_withdraw(actor=enterprise_user, declaration=submitted)
    withdrawn = Declaration.objects.get(pk=submitted.pk)
    assert withdrawn.status == Declaration.Status.DRAFT
    with pytest.raises(ValidationError) as exc:  # a withdrawn draft was once submitted
        carryover.declaration_draft_delete(actor=enterprise_user, declaration=withdrawn)
    assert "从未提交过的草稿" in " ".join(exc.value.messages)
    draft = builders.draft(enterprise_user, industry="N31", grade="B", year=2027)
    with pytest.raises(PermissionDenied):
        carryover.declaration_draft_delete(actor=other_user, declaration=draft)
    assert Declaration.objects.count() == 2


def test_draft_delete_page_asks_for_confirmation_and_api_deletes(
    enterprise_user, other_user, client
):
    d = builders.draft(enterprise_user, grade="B")
    client.force_login(enterprise_user)
    page = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert "删除草稿" in page
    client.post(reverse("declarations:delete", args=[d.pk]))
    assert Declaration.objects.filter(pk=d.pk).exists()
    done = client.post(reverse("declarations:delete", args=[d.pk]), {"confirm": "1"})
    assert done.status_code == 302 and not Declaration.objects.filter(pk=d.pk).exists()

    d = builders.draft(enterprise_user, grade="B")
    assert client_for(other_user).delete(f"{BASE}{d.pk}/").status_code == 404
    assert client_for(enterprise_user).delete(f"{BASE}{d.pk}/").status_code == 204
    assert not Declaration.objects.filter(pk=d.pk).exists()


def test_new_year_starts_as_a_copy_of_last_year(last_year, enterprise_user):
    source = last_year
    source_row = source.indicator_rows.get(category__code="raw_materials")
    d = carryover.declaration_copy(actor=enterprise_user, source=source, year=2026)
    assert (d.year, d.status, d.industry_id) == (2026, Declaration.Status.DRAFT, source.industry_id)
    assert d.address == source.address and d.emission_standards == source.emission_standards
    assert d.truth_commitment_by == ""  # commitments are signed anew
    for related in ("products", "materials", "transport", "vehicles", "facilities"):
        assert getattr(d, related).count() == getattr(source, related).count() > 0
    row = d.indicator_rows.get(category__code="raw_materials")
    assert row.statement == source_row.statement and row.meets == source_row.meets
    assert not d.evidence.exists()  # not evidence files unless chosen
    assert AuditEvent.objects.filter(code="declaration.copied", object_id=str(d.pk)).exists()


def test_copy_with_evidence_copies_the_files(last_year, enterprise_user):
    d = carryover.declaration_copy(
        actor=enterprise_user, source=last_year, year=2026, with_evidence=True
    )
    old = last_year.evidence.filter(replaced_by__isnull=True)
    new = d.evidence.all()
    assert new.count() == old.count() > 0
    assert {e.sha256 for e in new} == {e.sha256 for e in old}
    assert {e.file.name for e in new}.isdisjoint({e.file.name for e in old})
    assert all(e.file.storage.exists(e.file.name) for e in new)


def test_copy_is_refused_from_a_later_year_or_a_foreign_enterprise(
    last_year, enterprise_user, other_user
):
    with pytest.raises(ValidationError):
        carryover.declaration_copy(actor=enterprise_user, source=last_year, year=2025)
    with pytest.raises(PermissionDenied):
        carryover.declaration_copy(actor=other_user, source=last_year, year=2026)


def test_new_declaration_page_and_api_copy(last_year, enterprise_user, client):
    client.force_login(enterprise_user)
    detail = client.get(reverse("declarations:detail", args=[last_year.pk])).content.decode()
    assert "以本申报为基础新建" in detail
    url = reverse("declarations:new")
    form = client.get(url, {"copy_from": last_year.pk}).content.decode()
    assert last_year.number in form
    created = client.post(
        url,
        {
            "industry": last_year.industry_id,
            "year": 2026,
            "control_type": "grading",
            "requested_grade": Grade.objects.get(code="B").pk,
            "copy_from": last_year.pk,
        },
    )
    assert created.status_code == 302
    copy = Declaration.objects.get(year=2026)
    assert copy.products.count() == last_year.products.count()
    assert copy.is_editable

    carryover.declaration_draft_delete(actor=enterprise_user, declaration=copy)
    response = client_for(enterprise_user).post(
        f"{BASE}{last_year.pk}/copy/", {"year": 2026, "requested_grade": "C"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["requested_grade"] == "C"


def test_enterprise_results_page_shows_its_grades_and_decided_declarations(
    last_year, enterprise_user, county_user, client
):
    grade_record_add(
        actor=None,
        enterprise=last_year.enterprise,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code="B"),
        effective_from=datetime.date(2025, 10, 1),
        source=GradeRecord.Source.REVIEW,
    )
    client.force_login(enterprise_user)
    inbox = client.get("/inbox/").content.decode()
    assert reverse("declarations:results") in inbox  # in its own navigation
    page = client.get(reverse("declarations:results")).content.decode()
    assert "我的分级结果" in page and last_year.number in page and "审核认定" in page
    assert "审核意见表" in page  # the review app's section
    client.force_login(county_user)
    assert client.get(reverse("declarations:results")).status_code in (403, 404)


def test_county_accepts_on_the_declaration_it_opens(submitted, county_user, client):
    """The inbox item opens the declaration; the county's 受理 is on that page."""
    client.force_login(county_user)
    inbox = client.get("/inbox/").content.decode()
    url = reverse("declarations:detail", args=[submitted.pk])
    assert url in inbox
    page = client.get(url).content.decode()
    action = f"/review/open/{submitted.pk}/"
    assert "受理并初审" in page and action in page
    response = client.post(action)
    assert response.status_code == 302 and "/review/cases/" in response["Location"]
    assert Declaration.objects.get(pk=submitted.pk).status == Declaration.Status.UNDER_REVIEW
