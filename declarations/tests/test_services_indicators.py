"""The indicators page's one save (R-DECL-3): rows' text and chosen files together or not at
all, every refusal reported at once, no stored file left behind by a refused save."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from declarations.services.indicators import (
    EvidenceUpload,
    IndicatorPageRefused,
    IndicatorRowChange,
    indicator_page_save,
)
from declarations.tests.helpers import events, evidence_files
from tests import declaration_builders as builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_eager")]

MET = {"applicable": True, "statement": "已全部使用水性油墨", "meets": True}


def exe() -> SimpleUploadedFile:
    return SimpleUploadedFile("报告.pdf", b"MZ" + b"\0" * 200, content_type="application/pdf")


def test_text_and_files_are_saved_together(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    first, second, *_ = d.indicator_rows.order_by("seq")
    saved = indicator_page_save(
        actor=enterprise_user,
        declaration=d,
        rows=[
            IndicatorRowChange(
                row=first, values=MET, uploads=(EvidenceUpload(builders.pdf_upload(), "报告"),)
            ),
            IndicatorRowChange(row=second, uploads=(EvidenceUpload(builders.pdf_upload()),)),
        ],
        others=[EvidenceUpload(builders.pdf_upload(), "环评批复", section="compliance")],
    )
    assert saved.summary() == "已保存1项指标，上传3个文件"
    first.refresh_from_db()
    assert (first.statement, first.meets) == ("已全部使用水性油墨", True)
    assert [e.title for e in first.evidence.all()] == ["报告"]
    assert second.evidence.count() == 1 and second.statement == ""
    assert d.evidence.get(indicator_row=None).section == "compliance"
    assert len(events(d, "declaration.indicator_saved")) == 1


def test_a_refused_file_keeps_nothing_of_the_page(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    first, second, *_ = d.indicator_rows.order_by("seq")
    bad_text = {"applicable": False, "not_applicable_reason": ""}
    refused_file = EvidenceUpload(exe())
    with pytest.raises(IndicatorPageRefused) as exc:
        indicator_page_save(
            actor=enterprise_user,
            declaration=d,
            rows=[
                IndicatorRowChange(
                    row=first, values=MET, uploads=(EvidenceUpload(builders.pdf_upload()),)
                ),
                IndicatorRowChange(row=second, values=bad_text, uploads=(refused_file,)),
            ],
        )
    failed = [item for item, _error in exc.value.failures]
    assert [type(item) for item in failed] == [IndicatorRowChange, EvidenceUpload]
    assert failed[0].row == second and failed[1] is refused_file
    assert "标为不涉及时请说明理由" in " ".join(exc.value.messages)
    first.refresh_from_db()
    assert first.statement == "" and not d.evidence.exists()
    assert evidence_files(d) == []


def test_only_the_owner_saves_and_only_rows_of_the_declaration(enterprise_user, other_user):
    d = builders.draft(enterprise_user, grade="B")
    row = d.indicator_rows.first()
    with pytest.raises(PermissionDenied):
        indicator_page_save(
            actor=other_user, declaration=d, rows=[IndicatorRowChange(row=row, values=MET)]
        )
    other = builders.draft(other_user, industry="N15", grade="B")
    with pytest.raises(IndicatorPageRefused) as exc:
        indicator_page_save(
            actor=enterprise_user,
            declaration=d,
            rows=[IndicatorRowChange(row=other.indicator_rows.first(), values=MET)],
        )
    assert exc.value.messages == ["指标不属于本申报"]
