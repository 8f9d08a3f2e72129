"""Submit, withdraw, return and resubmit: versions, batches and transitions (R-DECL-6,
R-TGT-4, R-GRADE-7)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from declarations.models import Batch, Declaration, DeclarationVersion
from declarations.services import drafting, lifecycle, tables
from declarations.tests.helpers import events, messages
from grading.models import (
    Grade,
    GradeScheme,
    GuidelineVersion,
    IndicatorCategory,
    IndicatorRequirement,
    IndicatorSet,
    Industry,
    IndustryCategory,
)
from tests import declaration_builders as builders
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_eager")]


# --- submit ---------------------------------------------------------------------------------


def test_submit_is_refused_while_incomplete(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    with pytest.raises(lifecycle.SubmissionRefused) as exc:
        lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    found = {i.rule for i in exc.value.issues}
    assert {"R-DECL-2", "R-DECL-3", "R-DECL-4"} <= found
    # the rule codes stay with the issues; the messages users read carry none
    assert exc.value.messages and not any("R-DECL" in m for m in exc.value.messages)
    assert Declaration.objects.get(pk=d.pk).status == Declaration.Status.DRAFT
    assert not DeclarationVersion.objects.filter(declaration=d).exists()


def test_submit_is_refused_for_another_enterprise(enterprise_user, other_user):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    with pytest.raises(PermissionDenied):
        lifecycle.declaration_submit(actor=other_user, declaration=d)
    assert Declaration.objects.get(pk=d.pk).status == Declaration.Status.DRAFT


def test_submit_creates_version_1_and_freezes_the_declaration(enterprise_user):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    version = lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    d.refresh_from_db()
    assert d.status == Declaration.Status.SUBMITTED
    assert (version.number, d.current_version) == (1, 1)
    assert version.submitted_by == enterprise_user and d.submitted_at == version.submitted_at
    snap = version.snapshot
    assert snap["enterprise"]["name"] == d.enterprise.name
    assert snap["declaration"]["address"] == "新郑市薛店镇华豫路8号"
    assert snap["indicator_set"]["id"] == d.indicator_set_id
    assert len(snap["indicators"]) == d.indicator_rows.count()
    assert len(snap["evidence"]) == d.evidence.count()
    assert snap["vehicles"][0]["vin"] == "LFV2A21K6D3012345"
    event = events(d, "declaration.submitted")[0]
    assert event.actor == enterprise_user
    assert event.data == {"from": "draft", "to": "submitted", "version": 1}
    with pytest.raises(ValidationError) as exc:
        drafting.declaration_update(actor=enterprise_user, declaration=d, data={"park": "别处"})
    assert "不能修改" in messages(exc)
    with pytest.raises(ValidationError):
        drafting.indicator_row_update(
            actor=enterprise_user, row=d.indicator_rows.first(), applicable=True
        )
    with pytest.raises(ValidationError):
        tables.declaration_table_save(
            actor=enterprise_user, declaration=d, table="materials", rows=[]
        )
    with pytest.raises(ValidationError):
        drafting.evidence_upload(
            actor=enterprise_user,
            declaration=d,
            upload=builders.pdf_upload(),
            title="补充",
            section="basic",
        )
    assert d.materials.count() == 1


def test_r_tgt_4_submit_assigns_the_batch_of_the_year(enterprise_user):
    year = timezone.localdate().year
    vocs = Batch.objects.create(year=year, name="涉VOCs行业", deadline=datetime.date(year, 10, 31))
    vocs.categories.set([IndustryCategory.objects.get(code="vocs")])
    guarantee = Batch.objects.create(
        year=year,
        name="省级行业及保障类",
        includes_guarantee=True,
        deadline=datetime.date(year, 11, 30),
    )
    guarantee.categories.set([IndustryCategory.objects.get(code="provincial")])
    Batch.objects.create(year=year + 1, name="下一年", deadline=datetime.date(year + 1, 9, 1))

    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    assert Declaration.objects.get(pk=d.pk).batch == vocs

    ent = factories.enterprise(industry="N31")
    user = factories.enterprise_user(ent)
    g = builders.draft(user, grade="B", control_type="guarantee", guarantee_category="livelihood")
    g = builders.complete(g, user)
    lifecycle.declaration_submit(actor=user, declaration=g)
    assert Declaration.objects.get(pk=g.pk).batch == guarantee


def test_submit_without_a_batch_leaves_it_empty(enterprise_user):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    assert Declaration.objects.get(pk=d.pk).batch is None


def test_withdraw_before_the_county_starts(submitted, enterprise_user, county_user, other_user):
    with pytest.raises(PermissionDenied):
        lifecycle.declaration_withdraw(actor=other_user, declaration=submitted)
    d = lifecycle.declaration_withdraw(
        actor=enterprise_user, declaration=submitted, reason="补材料"
    )
    assert d.status == Declaration.Status.DRAFT
    event = events(d, "declaration.withdrawn")[0]
    assert (event.actor, event.reason) == (enterprise_user, "补材料")
    assert event.data == {"from": "submitted", "to": "draft"}
    drafting.declaration_update(actor=enterprise_user, declaration=d, data={"park": "华豫园区"})
    version = lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    assert version.number == 2
    lifecycle.declaration_start_review(actor=county_user, declaration=d)
    with pytest.raises(ValidationError) as exc:
        lifecycle.declaration_withdraw(actor=enterprise_user, declaration=d)
    assert "不能撤回" in messages(exc)
    assert Declaration.objects.get(pk=d.pk).status == Declaration.Status.UNDER_REVIEW


def test_only_a_reviewer_in_reach_starts_the_review(submitted, enterprise_user, other_county_user):
    for actor in (enterprise_user, other_county_user):
        with pytest.raises(PermissionDenied):
            lifecycle.declaration_start_review(actor=actor, declaration=submitted)
    assert Declaration.objects.get(pk=submitted.pk).status == Declaration.Status.SUBMITTED


def test_r_decl_6_return_rectify_and_resubmit(submitted, enterprise_user, county_user):
    d = submitted
    v1 = d.versions.get()
    frozen_v1 = v1.snapshot
    with pytest.raises(ValidationError):
        lifecycle.declaration_return(actor=county_user, declaration=d, reason="请补充")
    lifecycle.declaration_start_review(actor=county_user, declaration=d)
    with pytest.raises(ValidationError) as exc:
        lifecycle.declaration_return(actor=county_user, declaration=d, reason="  ")
    assert "整改" in messages(exc)
    lifecycle.declaration_return(
        actor=county_user, declaration=d, reason="请补充VOCs治理设施运行记录"
    )
    d.refresh_from_db()
    assert d.status == Declaration.Status.RETURNED
    drafting.declaration_update(
        actor=enterprise_user, declaration=d, data={"address": "新郑市薛店镇华豫路18号"}
    )
    with pytest.raises(lifecycle.SubmissionRefused) as exc:
        lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    assert [i.rule for i in exc.value.issues] == ["R-DECL-6"]
    assert Declaration.objects.get(pk=d.pk).status == Declaration.Status.RETURNED

    v2 = lifecycle.declaration_submit(
        actor=enterprise_user, declaration=d, rectification="已补充RTO运行记录及在线监测数据"
    )
    assert v2.number == 2
    assert v2.rectification == "已补充RTO运行记录及在线监测数据"
    assert v2.snapshot["declaration"]["address"] == "新郑市薛店镇华豫路18号"
    v1 = DeclarationVersion.objects.get(pk=v1.pk)
    assert v1.snapshot == frozen_v1
    assert v1.snapshot["declaration"]["address"] == "新郑市薛店镇华豫路8号"
    assert v1.rectification == ""
    assert Declaration.objects.get(pk=d.pk).status == Declaration.Status.SUBMITTED

    expected = [
        ("declaration.submitted", enterprise_user, "draft", "submitted"),
        ("declaration.returned", county_user, "under_review", "returned"),
        ("declaration.resubmitted", enterprise_user, "returned", "submitted"),
    ]
    for code, actor, before, after in expected:
        (event,) = events(d, code)
        assert event.actor == actor
        assert (event.data["from"], event.data["to"]) == (before, after)
    assert events(d, "declaration.returned")[0].reason == "请补充VOCs治理设施运行记录"
    assert events(d, "declaration.resubmitted")[0].data["version"] == 2


def test_r_decl_6_a_second_return_needs_a_new_rectification(
    submitted, enterprise_user, county_user
):
    d = submitted
    for rectification in ("第一次整改", None):
        lifecycle.declaration_start_review(actor=county_user, declaration=d)
        lifecycle.declaration_return(actor=county_user, declaration=d, reason="请补充")
        if rectification:
            lifecycle.declaration_submit(
                actor=enterprise_user, declaration=d, rectification=rectification
            )
    with pytest.raises(lifecycle.SubmissionRefused) as exc:
        lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    assert [i.rule for i in exc.value.issues] == ["R-DECL-6"]
    v3 = lifecycle.declaration_submit(
        actor=enterprise_user, declaration=d, rectification="第二次整改"
    )
    assert v3.number == 3 and v3.rectification == "第二次整改"
    assert d.versions.get(number=2).rectification == "第一次整改"


def test_a_decided_declaration_cannot_be_resubmitted(submitted, enterprise_user, county_user):
    lifecycle.declaration_start_review(actor=county_user, declaration=submitted)
    with transaction.atomic():
        fresh = Declaration.objects.get(pk=submitted.pk)
        fresh.decide()
        fresh.save()
    with pytest.raises(ValidationError) as exc:
        lifecycle.declaration_submit(actor=enterprise_user, declaration=submitted)
    assert "不能提交" in messages(exc)
    with pytest.raises(ValidationError):
        lifecycle.declaration_withdraw(actor=enterprise_user, declaration=submitted)
    assert submitted.versions.count() == 1
    assert Declaration.objects.get(pk=submitted.pk).status == Declaration.Status.DECIDED


def test_concurrent_transition_on_a_stale_instance_is_refused(enterprise_user, county_user):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    stale = Declaration.objects.get(pk=d.pk)
    lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    # Submitting again with the instance loaded before the first submit: a Chinese error.
    with pytest.raises(ValidationError) as exc:
        lifecycle.declaration_submit(actor=enterprise_user, declaration=stale)
    assert "不能提交" in messages(exc)
    assert d.versions.count() == 1

    first = Declaration.objects.get(pk=d.pk)
    second = Declaration.objects.get(pk=d.pk)
    lifecycle.declaration_start_review(actor=county_user, declaration=first)
    # The second instance still believes it is submitted: the mixin refuses its save.
    second.withdraw()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    assert Declaration.objects.get(pk=d.pk).status == Declaration.Status.UNDER_REVIEW


# --- R-GRADE-7 ------------------------------------------------------------------------------


def test_r_grade_7_a_newer_indicator_set_regenerates_rows_before_submit(enterprise_user):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    old_set = d.indicator_set
    assert old_set.guideline_version.code == "2021-supp"
    rows_before = d.indicator_rows.count()
    today = timezone.localdate()
    guideline = GuidelineVersion.objects.create(
        code="test-newer", name="测试用新版技术指南", issued_on=today
    )
    new_set = IndicatorSet.objects.create(
        industry=Industry.objects.get(code="N31"),
        guideline_version=guideline,
        scheme=GradeScheme.objects.get(code="ABCD"),
        effective_from=today,
    )
    raw = IndicatorCategory.objects.get(code="raw_materials")
    IndicatorRequirement.objects.create(
        indicator_set=new_set,
        category=raw,
        grade=Grade.objects.get(code="B"),
        text="新版：低VOCs含量油墨使用比例达50%及以上",
    )

    with pytest.raises(lifecycle.SubmissionRefused) as exc:
        lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    (issue,) = exc.value.issues
    assert issue.rule == "R-GRADE-7"
    assert "测试用新版技术指南" in issue.message
    # The regeneration is kept, not rolled back with the refusal.
    d.refresh_from_db()
    assert d.status == Declaration.Status.DRAFT
    assert d.indicator_set == new_set
    row = d.indicator_rows.get(category=raw)
    assert (row.seq, row.requirement) == (1, "新版：低VOCs含量油墨使用比例达50%及以上")
    assert row.statement == "原辅材料：已达到要求"
    others = d.indicator_rows.exclude(pk=row.pk)
    assert d.indicator_rows.count() == rows_before  # rows with evidence are kept
    assert not others.filter(applicable=True).exists()
    assert not DeclarationVersion.objects.filter(declaration=d).exists()

    drafting.indicator_row_update(
        actor=enterprise_user,
        row=row,
        applicable=True,
        statement="按新版指标核对：水性油墨占比65%",
        meets=True,
    )
    version = lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    assert version.snapshot["indicator_set"] == {
        "id": new_set.pk,
        "version": "test-newer",
        "scheme": "ABCD",
    }
    assert Declaration.objects.get(pk=d.pk).indicator_set == new_set
