"""The package PDF of a submitted version (申报材料, 002 附件4), checked with poppler's tools on
the real file: text, embedded CJK font, evidence page numbers and the page count."""

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tests.test_uploads import make_png
from declarations.models import Declaration, DeclarationVersion
from declarations.services import drafting, lifecycle
from tests import declaration_builders as builders

pytestmark = pytest.mark.django_db

FOOTER = re.compile(r"第\d+页/共\d+页")


@pytest.fixture(autouse=True)
def _media_and_eager(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    def run(user, declaration, **kwargs) -> DeclarationVersion:
        """Submit and run the on-commit render in-process (tasks are eager)."""
        with django_capture_on_commit_callbacks(execute=True):
            version = lifecycle.declaration_submit(actor=user, declaration=declaration, **kwargs)
        return DeclarationVersion.objects.get(pk=version.pk)

    return run


def poppler(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def page_text(path: Path, page: int | None = None) -> str:
    """The text with all whitespace removed (layout spacing varies; the words do not)."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return re.sub(r"\s+", "", poppler("pdftotext", *pages, str(path), "-"))


def page_count(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", str(path)), re.M).group(1))


def fonts(path: Path) -> list[dict]:
    """pdffonts' table, split on the columns its dashed line marks."""
    lines = poppler("pdffonts", str(path)).splitlines()
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]
    header = [lines[0][a:b].strip() for a, b in spans[:-1]] + [lines[0][spans[-1][0] :].strip()]
    return [
        dict(zip(header, [line[a:b].strip() for a, b in spans], strict=True)) for line in lines[2:]
    ]


def ready_file(version: DeclarationVersion) -> Path:
    assert version.package_status == DeclarationVersion.RenderStatus.READY, version.package_error
    path = Path(version.package_file.path)
    assert path.exists()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == version.package_sha256
    return path


def test_package_is_rendered_with_checksum_and_chinese_text(enterprise_user, submit):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    version = submit(enterprise_user, d)
    assert version.package_progress == 100 and version.package_error == ""
    path = ready_file(version)
    assert path.name == f"{d.number}-v1.pdf"
    text = page_text(path)
    assert d.enterprise.name in text
    assert "企业绩效分级申请表" in text
    assert "绩效分级指标对标总表" in text
    assert "包装印刷行业B级绩效指标要求" in text
    assert "新郑市薛店镇华豫路8号" in text
    assert "LFV2A21K6D3012345" in text


def test_package_embeds_the_noto_sans_cjk_sc_font(enterprise_user, submit):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    path = ready_file(submit(enterprise_user, d))
    found = fonts(path)
    cjk = [f for f in found if f["name"].split("+")[-1].startswith("Noto-Sans-CJK-SC")]
    assert cjk, found
    assert all(f["emb"] == "yes" for f in cjk)
    assert all(f["emb"] == "yes" for f in found), found


def test_evidence_page_numbers_and_total_page_count(enterprise_user, submit):
    d = builders.draft(enterprise_user, grade="B")
    d = builders.complete(d, enterprise_user, evidence_rows=2)
    photo_row, record_row = d.indicator_rows.order_by("seq")[:2]
    drafting.evidence_upload(
        actor=enterprise_user,
        declaration=d,
        upload=SimpleUploadedFile("照片.png", make_png()),
        title="厂区治理设施现场照片",
        section="indicator",
        replaces=photo_row.evidence.get(),
    )
    drafting.evidence_upload(
        actor=enterprise_user,
        declaration=d,
        upload=builders.pdf_upload("运行记录.pdf", pages=2),
        title="RTO运行记录",
        section="indicator",
        replaces=record_row.evidence.get(),
    )
    path = ready_file(submit(enterprise_user, d))
    total = page_count(path)
    main = total - 2
    pages = {n: page_text(path, n) for n in range(1, total + 1)}

    # The PDF evidence is appended after the laid-out document: its two pages come last.
    assert pages[total - 1] == "证明材料第1页"
    assert pages[total] == "证明材料第2页"
    # Every page of the document itself says how many pages the whole file has.
    for n in range(2, main + 1):
        assert f"第{n}页/共{total}页" in pages[n], n
    # The image evidence is a page of the document.
    (photo_page,) = [n for n, t in pages.items() if "厂区治理设施现场照片" in t]
    assert photo_page <= main
    table = "".join(FOOTER.sub("", t) for n, t in pages.items() if n < photo_page and n > 1).split(
        "绩效分级指标对标总表", 1
    )[1]
    # Each row's page cell follows its statement.
    assert f"{photo_row.category.name}：已达到要求第{photo_page}页" in table
    assert f"{record_row.category.name}：已达到要求第{main + 1}页起" in table
    assert f"RTO运行记录（第{main + 1}页起，共2页）" in table


def test_resubmitted_package_carries_the_rectification(enterprise_user, county_user, submit):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    submit(enterprise_user, d)
    lifecycle.declaration_start_review(actor=county_user, declaration=d)
    lifecycle.declaration_return(actor=county_user, declaration=d, reason="补充运行记录")
    version = submit(enterprise_user, d, rectification="已补充RTO运行记录")
    assert version.number == 2
    text = page_text(ready_file(version))
    assert "六、整改情况" in text and "已补充RTO运行记录" in text
    assert Declaration.objects.get(pk=d.pk).versions.count() == 2


def test_confidential_image_is_marked_in_the_package(enterprise_user, submit):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    row = d.indicator_rows.order_by("seq").first()
    drafting.evidence_upload(
        actor=enterprise_user,
        declaration=d,
        upload=SimpleUploadedFile("订单.png", make_png()),
        title="外贸订单照片",
        section="indicator",
        replaces=row.evidence.get(),
        is_confidential=True,
    )
    text = page_text(ready_file(submit(enterprise_user, d)))
    assert "外贸订单照片（涉密材料，仅供审核）" in text
