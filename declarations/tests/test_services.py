"""Drafting and lifecycle services: what each allows and what it refuses, with the rule
behind it (R-DECL-1, R-DECL-5, R-DECL-6, R-GRADE-7, R-TGT-4)."""

import datetime
import hashlib
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django_fsm import ConcurrentTransition

from core.models import AuditEvent
from core.uploads import UploadRejected
from declarations.models import Batch, Declaration, DeclarationVersion, Evidence
from declarations.services import drafting, lifecycle
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

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _media_and_eager(settings, tmp_path):
    """Evidence and packages go to the test's own folder; tasks run in-process."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def other_user(other_enterprise):
    return factories.enterprise_user(other_enterprise)


@pytest.fixture
def submitted(enterprise_user):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    return Declaration.objects.get(pk=d.pk)


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def evidence_files(declaration) -> list[Path]:
    from django.conf import settings

    folder = Path(settings.MEDIA_ROOT) / "evidence" / str(declaration.pk)
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.exists() else []


def events(declaration, code: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Declaration),
            object_id=str(declaration.pk),
            code=code,
        ).order_by("at", "id")
    )


# --- R-DECL-1: open all year, free ----------------------------------------------------------


@pytest.mark.parametrize("month,day", [(3, 1), (12, 28)])
def test_r_decl_1_declarations_are_open_all_year(time_machine, enterprise_user, month, day):
    time_machine.move_to(datetime.datetime(2025, month, day, 9, 30, tzinfo=SHANGHAI), tick=False)
    this_year = builders.draft(enterprise_user, grade="B")
    assert this_year.year == 2025
    assert this_year.status == Declaration.Status.DRAFT
    assert this_year.number == f"SB2025{this_year.pk:06d}"
    next_year = builders.draft(enterprise_user, grade="B", year=2026)
    assert next_year.year == 2026
    for year in (2027, 2024):
        with pytest.raises(ValidationError) as exc:
            builders.draft(enterprise_user, grade="B", year=year)
        assert "只能申报本年度或下一年度" in messages(exc)


def test_r_decl_1_r_elig_6_grading_is_free_no_fee_field():
    for model in apps.get_app_config("declarations").get_models():
        for field in model._meta.get_fields():
            verbose = str(getattr(field, "verbose_name", ""))
            assert "fee" not in field.name.lower(), (model, field.name)
            assert "费" not in verbose, (model, field.name)


def test_one_open_declaration_per_enterprise_industry_and_year(enterprise_user):
    first = builders.draft(enterprise_user, grade="B")
    with pytest.raises(ValidationError) as exc:
        builders.draft(enterprise_user, grade="C")
    assert "已有申报" in messages(exc)
    assert Declaration.objects.filter(enterprise=first.enterprise).count() == 1
    # A rejected one no longer blocks a new declaration.
    Declaration.objects.filter(pk=first.pk).update(status=Declaration.Status.REJECTED)
    assert builders.draft(enterprise_user, grade="C").pk != first.pk


def test_declaration_is_created_from_the_enterprise_master_data(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    assert d.indicator_set.industry.code == "N31"
    assert d.industry_code == "2319"
    assert d.indicator_rows.count() > 0
    assert events(d, "declaration.created")[0].actor == enterprise_user


def test_only_the_enterprises_own_users_create_and_update(
    enterprise, enterprise_user, other_user, county_user
):
    for actor in (other_user, county_user):
        with pytest.raises(PermissionDenied):
            drafting.declaration_create(
                actor=actor,
                enterprise=enterprise,
                industry=Industry.objects.get(code="N31"),
                year=datetime.date.today().year,
                control_type="grading",
                requested_grade=Grade.objects.get(code="B"),
            )
    d = builders.draft(enterprise_user, grade="B")
    with pytest.raises(PermissionDenied):
        drafting.declaration_update(actor=other_user, declaration=d, data={"address": "别处"})
    with pytest.raises(PermissionDenied):
        drafting.declaration_table_replace(
            actor=other_user, declaration=d, table="materials", rows=[]
        )
    with pytest.raises(PermissionDenied):
        drafting.evidence_upload(
            actor=other_user,
            declaration=d,
            upload=builders.pdf_upload(),
            title="x",
            section="basic",
        )
    assert Declaration.objects.get(pk=d.pk).address == enterprise.address


def test_an_industry_not_registered_for_the_enterprise_is_refused(enterprise_user):
    with pytest.raises(ValidationError) as exc:
        builders.draft(enterprise_user, industry="N15", grade="B")
    assert "请先在企业信息中登记该行业" in messages(exc)


def test_grade_outside_the_scheme_is_refused(enterprise_user):
    with pytest.raises(ValidationError) as exc:
        builders.draft(enterprise_user, grade="B-")
    assert "不属于该行业的分级体系" in exc.value.message_dict["requested_grade"][0]
    d = builders.draft(enterprise_user, grade="B")
    with pytest.raises(ValidationError):
        drafting.declaration_update(
            actor=enterprise_user,
            declaration=d,
            data={"requested_grade": Grade.objects.get(code="LEAD")},
        )
    assert Declaration.objects.get(pk=d.pk).requested_grade.code == "B"


def test_leading_control_type_requires_the_leading_grade(enterprise_user):
    with pytest.raises(ValidationError) as exc:
        builders.draft(enterprise_user, grade="B", control_type="leading")
    assert "绩效引领性" in exc.value.message_dict["control_type"][0]
    ent = factories.enterprise(industry="HN01")
    user = factories.enterprise_user(ent)
    with pytest.raises(ValidationError):
        builders.draft(user, industry="HN01", grade="LEAD", control_type="grading")
    d = builders.draft(user, industry="HN01", grade="LEAD", control_type="leading")
    assert d.requested_grade.code == "LEAD"


def test_changing_the_grade_regenerates_requirements_but_keeps_statements(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    raw = IndicatorCategory.objects.get(code="raw_materials")
    row = d.indicator_rows.get(category=raw)

    def text(grade):
        return IndicatorRequirement.objects.get(
            indicator_set=d.indicator_set, category=raw, grade__code=grade
        ).text

    assert row.requirement == text("B")
    drafting.indicator_row_update(
        actor=enterprise_user, row=row, applicable=True, statement="水性油墨占比65%", meets=True
    )
    drafting.declaration_update(
        actor=enterprise_user,
        declaration=d,
        data={"requested_grade": Grade.objects.get(code="A")},
    )
    row.refresh_from_db()
    assert row.requirement == text("A") != text("B")
    assert row.statement == "水性油墨占比65%"
    assert row.meets is True


# --- tables -----------------------------------------------------------------------------------


def product(line, **over):
    return {
        "line": line,
        "product": "软包装",
        "capacity": Decimal(3000),
        "last_year_output": Decimal(2600),
        "unit": "吨",
        **over,
    }


def test_table_replace_saves_all_rows_or_nothing(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    line = builders.ensure_lines(d.enterprise).line
    drafting.declaration_table_replace(
        actor=enterprise_user, declaration=d, table="products", rows=[product(line)]
    )
    with pytest.raises(ValidationError) as exc:
        drafting.declaration_table_replace(
            actor=enterprise_user,
            declaration=d,
            table="products",
            rows=[product(line, product="纸箱"), product(line, capacity=Decimal(-1))],
        )
    errors = exc.value.message_dict
    assert list(errors) == ["第2行"]
    assert errors["第2行"][0].startswith("产能：")
    assert list(d.products.values_list("product", flat=True)) == ["软包装"]


def test_table_replace_refuses_a_vin_with_i(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    vehicle = {"plate": "豫A12345", "engine_number": "E1", "emission_stage": "6"}
    with pytest.raises(ValidationError) as exc:
        drafting.declaration_table_replace(
            actor=enterprise_user,
            declaration=d,
            table="vehicles",
            rows=[{**vehicle, "vin": "LFV2A21K6D301234I"}],
        )
    assert exc.value.message_dict["第1行"] == [
        "车辆识别代号（VIN）：VIN应为17位字母或数字（不含I、O、Q）"
    ]
    with pytest.raises(ValidationError) as exc:
        drafting.declaration_table_replace(
            actor=enterprise_user,
            declaration=d,
            table="vehicles",
            rows=[{**vehicle, "vin": "LFV2A21K6D3012345"}] * 2,
        )
    assert "车辆识别代号（VIN）重复" in messages(exc)
    assert d.vehicles.count() == 0


def test_table_replace_refuses_a_process_or_line_of_another_enterprise(
    enterprise_user, other_enterprise
):
    d = builders.draft(enterprise_user, grade="B")
    own = builders.ensure_lines(d.enterprise)
    foreign = builders.ensure_lines(other_enterprise)
    facility = {
        "kind": "vocs",
        "seq": 1,
        "technique": "RTO",
        "commissioned_on": datetime.date(2023, 5, 1),
        "running_status": "正常",
        "removal_efficiency": Decimal(95),
        "concentration": Decimal(18),
        "airflow": Decimal(40000),
    }
    with pytest.raises(ValidationError) as exc:
        drafting.declaration_table_replace(
            actor=enterprise_user,
            declaration=d,
            table="facilities",
            rows=[{**facility, "process": own}, {**facility, "seq": 2, "process": foreign}],
        )
    assert exc.value.message_dict == {"第2行": ["产污环节：产污环节不是本企业登记的工序"]}
    with pytest.raises(ValidationError) as exc:
        drafting.declaration_table_replace(
            actor=enterprise_user, declaration=d, table="products", rows=[product(foreign.line)]
        )
    assert exc.value.message_dict == {"第1行": ["生产线：生产线不属于本企业"]}
    assert d.facilities.count() == 0 and d.products.count() == 0


def test_table_replace_refuses_an_unknown_table(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    with pytest.raises(ValidationError) as exc:
        drafting.declaration_table_replace(
            actor=enterprise_user, declaration=d, table="declaration", rows=[]
        )
    assert "未知的申报表格" in messages(exc)


# --- evidence ---------------------------------------------------------------------------------


def big_pdf(size: int) -> bytes:
    body = builders.pdf_bytes()
    return body + b"%" + b"0" * (size - len(body) - 1)


def test_evidence_is_stored_under_a_server_generated_name(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    upload = builders.pdf_upload("营业执照扫描件.pdf")
    ev = drafting.evidence_upload(
        actor=enterprise_user, declaration=d, upload=upload, title="营业执照", section="basic"
    )
    assert ev.original_name == "营业执照扫描件.pdf"
    assert ev.file.name.startswith(f"evidence/{d.pk}/")
    assert ev.file.name.endswith(".pdf")
    assert "营业执照" not in ev.file.name and "upload" not in ev.file.name
    content = Path(ev.file.path).read_bytes()
    assert content == builders.pdf_bytes()
    assert ev.sha256 == hashlib.sha256(content).hexdigest()
    assert (ev.kind, ev.content_type, ev.page_count) == ("pdf", "application/pdf", 1)
    event = events(d, "declaration.evidence_uploaded")[0]
    assert event.data["sha256"] == ev.sha256


def test_evidence_upload_refuses_an_executable_renamed_pdf(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    exe = SimpleUploadedFile("检测报告.pdf", b"MZ\x90\x00" + b"\x00" * 500)
    with pytest.raises(UploadRejected) as exc:
        drafting.evidence_upload(
            actor=enterprise_user, declaration=d, upload=exe, title="检测报告", section="basic"
        )
    assert exc.value.code == "executable"
    assert "可执行程序" in messages(exc)
    assert not d.evidence.exists() and evidence_files(d) == []


def test_evidence_upload_refuses_an_oversized_file(settings, enterprise_user):
    settings.GRADING = {**settings.GRADING, "EVIDENCE_MAX_FILE_MB": 1}
    d = builders.draft(enterprise_user, grade="B")
    upload = SimpleUploadedFile("大文件.pdf", big_pdf(1024 * 1024 + 1))
    with pytest.raises(UploadRejected) as exc:
        drafting.evidence_upload(
            actor=enterprise_user, declaration=d, upload=upload, title="大文件", section="basic"
        )
    assert exc.value.code == "too_large"
    assert "最大允许 1 MB" in messages(exc)
    assert not d.evidence.exists() and evidence_files(d) == []


def test_evidence_upload_refuses_overflowing_the_declaration_total(settings, enterprise_user):
    settings.GRADING = {**settings.GRADING, "EVIDENCE_MAX_TOTAL_MB": 1}
    d = builders.draft(enterprise_user, grade="B")

    def upload(name):
        return drafting.evidence_upload(
            actor=enterprise_user,
            declaration=d,
            upload=SimpleUploadedFile(name, big_pdf(600 * 1024)),
            title=name,
            section="basic",
        )

    first = upload("一.pdf")
    with pytest.raises(ValidationError) as exc:
        upload("二.pdf")
    assert "总量不能超过 1 MB" in messages(exc)
    assert list(d.evidence.all()) == [first]
    assert evidence_files(d) == [Path(first.file.path)]


def test_replacing_evidence_keeps_the_old_file(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    row = d.indicator_rows.order_by("seq").first()
    old = drafting.evidence_upload(
        actor=enterprise_user,
        declaration=d,
        upload=builders.pdf_upload("旧.pdf"),
        title="旧版",
        section="indicator",
        indicator_row=row,
    )
    new = drafting.evidence_upload(
        actor=enterprise_user,
        declaration=d,
        upload=builders.pdf_upload("新.pdf", pages=2),
        title="新版",
        section="indicator",
        replaces=old,
    )
    old.refresh_from_db()
    assert old.replaced_by == new and not old.is_current and new.is_current
    assert new.indicator_row == row and new.page_count == 2
    assert Path(old.file.path).exists() and Path(new.file.path).exists()
    assert old.file.name != new.file.name
    assert events(d, "declaration.evidence_replaced")[0].data["replaces"] == old.pk
    # A replaced file cannot be replaced again.
    with pytest.raises(ValidationError) as exc:
        drafting.evidence_upload(
            actor=enterprise_user,
            declaration=d,
            upload=builders.pdf_upload(),
            title="再版",
            section="indicator",
            replaces=old,
        )
    assert "只能替换本申报当前有效的材料" in messages(exc)


def test_replacing_evidence_near_the_total_limit_is_allowed(settings, enterprise_user):
    settings.GRADING = {**settings.GRADING, "EVIDENCE_MAX_TOTAL_MB": 1}
    d = builders.draft(enterprise_user, grade="B")

    def upload(name, replaces=None):
        return drafting.evidence_upload(
            actor=enterprise_user,
            declaration=d,
            upload=SimpleUploadedFile(name, big_pdf(600 * 1024)),
            title=name,
            section="basic",
            replaces=replaces,
        )

    old = upload("一.pdf")
    new = upload("一（修订）.pdf", replaces=old)
    assert list(d.evidence.filter(replaced_by__isnull=True)) == [new]


def test_evidence_for_a_row_of_another_declaration_is_refused(enterprise_user, other_user):
    d = builders.draft(enterprise_user, grade="B")
    other = builders.draft(other_user, industry="N15", grade="B")
    with pytest.raises(ValidationError) as exc:
        drafting.evidence_upload(
            actor=enterprise_user,
            declaration=d,
            upload=builders.pdf_upload(),
            title="x",
            section="indicator",
            indicator_row=other.indicator_rows.first(),
        )
    assert "指标不属于本申报" in messages(exc)
    assert not d.evidence.exists()


def test_r_decl_5_confidential_evidence_flag_is_kept(enterprise_user):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    row = d.indicator_rows.order_by("seq").first()
    old = row.evidence.get()
    secret = drafting.evidence_upload(
        actor=enterprise_user,
        declaration=d,
        upload=builders.pdf_upload("外贸订单.pdf"),
        title="外贸订单合同",
        section="indicator",
        replaces=old,
        is_confidential=True,
    )
    assert Evidence.objects.get(pk=secret.pk).is_confidential
    # A later replacement of confidential material stays confidential.
    newer = drafting.evidence_upload(
        actor=enterprise_user,
        declaration=d,
        upload=builders.pdf_upload("外贸订单（补充）.pdf"),
        title="外贸订单合同（补充）",
        section="indicator",
        replaces=secret,
    )
    assert newer.is_confidential
    version = lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    frozen = {e["id"]: e["confidential"] for e in version.snapshot["evidence"]}
    assert frozen[newer.pk] is True
    assert sum(frozen.values()) == 1


# --- submit ---------------------------------------------------------------------------------


def test_submit_is_refused_while_incomplete(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    with pytest.raises(lifecycle.SubmissionRefused) as exc:
        lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    found = {i.rule for i in exc.value.issues}
    assert {"R-DECL-2", "R-DECL-3", "R-DECL-4"} <= found
    assert any(m.endswith("（R-DECL-2）") for m in exc.value.messages)
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
        drafting.declaration_table_replace(
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
    year = datetime.date.today().year
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
    today = datetime.date.today()
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
