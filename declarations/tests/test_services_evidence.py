"""Evidence uploads: server-side names, content checks, size limits, replacements that keep
the old file, confidential material (R-DECL-5)."""

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.uploads import UploadRejected
from declarations.models import Evidence
from declarations.services import drafting, lifecycle
from declarations.tests.helpers import events, evidence_files, messages
from tests import declaration_builders as builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_eager")]


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
