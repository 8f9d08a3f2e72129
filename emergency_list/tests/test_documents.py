"""The 一厂一策 plan (R-LIST-5, 002 附件2) and the gate signboard (R-LIST-4) of a list entry,
checked with poppler's tools on the real files; PNGs of both land in test-artifacts/."""

import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from pypdf import PdfReader

from core.models import AuditEvent
from emergency_list.models import AlertLevel, EntryMeasure, ListEntry
from emergency_list.services.documents import (
    COMMITMENT,
    document_store,
    documents_list,
    documents_request,
    plan_render,
    signboard_render,
)
from emergency_list.services.entries import entry_build, measure_override
from emergency_list.tasks.documents import render_entry_documents
from grading.models import Equipment, Grade, Industry, Process
from grading.services.grades import grade_record_add
from tests import declaration_builders as builders
from tests import factories

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
YEAR = 2026
NAME = "新郑市华豫包装印刷有限公司"


# --- helpers --------------------------------------------------------------------------------


def lined_enterprise(*, name: str = NAME, grade: str | None = "B", extra_processes: int = 1):
    ent = factories.enterprise(
        county="410184",
        industry="N31",
        name=name,
        address="新郑市薛店镇华豫路8号",
        legal_representative="王建国",
        contact_person="李红梅",
        contact_mobile="13803710001",
        emissions=[{"vocs_tpa": "36.5", "pm_tpa": "2.4", "nox_tpa": "1.2"}],
    )
    process = builders.ensure_lines(ent)
    for i in range(extra_processes):
        p = Process.objects.create(line=process.line, name=["干式复合", "烘干", "分切"][i % 3])
        Equipment.objects.create(process=p, name=f"{p.name}机", model=f"GF-{i + 1}", quantity=1)
    if grade:
        grade_record_add(
            actor=None,
            enterprise=ent,
            industry=Industry.objects.get(code="N31"),
            grade=Grade.objects.get(code=grade),
            effective_from=timezone.localdate(),
            source="review",
        )
    return ent


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def keep(pdf: bytes, stem: str) -> Path:
    """Write the PDF and its pages as PNGs (50 dpi) to test-artifacts/ for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{stem}.pdf"
    path.write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{stem}-*.png"):
        old.unlink()
    run("pdftoppm", "-r", "50", "-png", str(path), str(ARTIFACTS / stem))
    return path


def page_size(path: Path) -> tuple[float, float]:
    m = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", run("pdfinfo", str(path)), re.M)
    return float(m.group(1)), float(m.group(2))


def pages(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(path)), re.M).group(1))


def fonts(path: Path) -> list[tuple[str, str]]:
    """(font name, emb) per font row of pdffonts."""
    rows = run("pdffonts", str(path)).splitlines()[2:]
    out = []
    for row in rows:
        cols = row.split()
        # name type encoding emb sub uni object ID; the type may be two words ("CID Type 0C").
        emb = cols[-5]
        out.append((cols[0], emb))
    return out


# --- R-LIST-5: the plan -------------------------------------------------------------------------


def test_r_list_5_plan_has_the_outline_of_the_guide():
    ent = lined_enterprise()
    entry = entry_build(year=YEAR, enterprise=ent)
    path = keep(plan_render(entry), "emergency_plan")
    text = compact(run("pdftotext", "-layout", str(path), "-"))
    for heading in (
        "“一厂一策”实施方案",
        "1.企业基本情况",
        "2.主要生产工艺流程",
        "3.大气污染物产生、治理及排放情况",
        "4.应急减排措施",
        "4.1红色预警下应急减排措施",
        "4.2橙色预警下应急减排措施",
        "4.3黄色预警下应急减排措施",
    ):
        assert heading in text, heading
    red, orange, yellow = (text.index(f"{lv}预警下应急减排措施") for lv in ("红色", "橙色", "黄色"))
    assert red < orange < yellow < text.index(compact(COMMITMENT))
    # Basic information, processes with equipment, emissions, measures, responsible person.
    assert NAME in text and f"{YEAR}年度" in text
    assert "包装印刷" in text and "B级" in text and "已参与绩效分级" in text
    assert "软包装" in text and "3000吨/年" in text
    assert "凹版印刷机×2" in text and "干式复合机（GF-1）×1" in text
    assert "36.5" in text and "0.1217" in text  # VOCs t/a and t/d over 300 days
    assert "限产20%" in text and "停产" in text  # B: orange limits 20%, red stops
    assert "停止使用国四及以下重型载货车辆（含燃气）" in compact(run("pdftotext", str(path), "-"))
    assert text.count("措施落实责任人：李红梅") == 3 and text.count("联系方式：13803710001") == 3
    assert compact(COMMITMENT) in text
    assert "法定代表人（签字）" in text and "企业公章" in text
    assert "原辅料" not in text  # not collected by the platform: left out, not printed empty


def test_r_list_5_ungraded_enterprise_is_managed_at_the_lowest_grade():
    ent = lined_enterprise(name="新郑市未分级印刷厂", grade=None, extra_processes=0)
    entry = entry_build(year=YEAR, enterprise=ent)
    with translation.override("en"):  # a user browsing in English still gets the Chinese plan
        pdf = plan_render(entry)
    text = compact(run("pdftotext", str(keep(pdf, "emergency_plan_ungraded")), "-"))
    assert "未参与绩效分级，按所属行业最低等级管控" in text
    assert "停止公路运输" in text  # D: stop and no road transport from yellow on
    assert "正常生产" in text and "Innormalproduction" not in text


def test_plan_prints_user_text_as_text():
    ent = lined_enterprise(name="新郑市转义测试印刷厂", extra_processes=0)
    entry = entry_build(year=YEAR, enterprise=ent)
    ListEntry.objects.filter(pk=entry.pk).update(
        responsible_person="<b>张三</b>", transport_plan="<img src='http://example.com/x.png'>"
    )
    text = compact(run("pdftotext", str(keep(plan_render(entry), "emergency_plan_escape")), "-"))
    assert "<b>张三</b>" in text
    assert "<imgsrc='http://example.com/x.png'>" in text


# --- R-LIST-4: the signboard ----------------------------------------------------------------------


def test_r_list_4_signboard_is_a3_with_measures_per_level():
    ent = lined_enterprise()
    entry = entry_build(year=YEAR, enterprise=ent)
    path = keep(signboard_render(entry), "emergency_signboard")
    width, height = page_size(path)
    assert abs(width - 1190.55) < 2 and abs(height - 841.89) < 2  # A3 landscape
    assert pages(path) == 1
    text = compact(run("pdftotext", str(path), "-"))
    assert NAME in text and "公示牌" in text and "B级" in text
    for level in ("红色预警", "橙色预警", "黄色预警"):
        assert level in text
    assert text.index("红色预警") < text.index("橙色预警") < text.index("黄色预警")
    assert "停产" in text and "限产20%" in text and "仅运输管控" in text
    assert "停止使用国四及以下重型载货车辆（含燃气）进行运输" in text
    assert "李红梅" in text and "13803710001" in text
    assert "举报电话：12369" in text


def test_r_list_4_signboard_of_many_processes_stays_on_one_sheet():
    ent = lined_enterprise(name="新郑市多工序印刷厂", extra_processes=14)
    entry = entry_build(year=YEAR, enterprise=ent)
    county_user = factories.staff_user("county", "410184")
    # Different (stricter) measures per process make many lines on the board.
    for i, m in enumerate(
        EntryMeasure.objects.filter(entry_process__entry=entry, level=AlertLevel.YELLOW).order_by(
            "pk"
        )[:8]
    ):
        measure_override(
            actor=county_user,
            measure=m,
            action="limit",
            ratio_pct=Decimal(10 + 5 * i),
            text=f"限产{10 + 5 * i}%",
            reason="县级加严",
        )
    path = keep(signboard_render(entry), "emergency_signboard_many")
    assert pages(path) == 1
    text = compact(run("pdftotext", str(path), "-"))
    assert "限产45%" in text and "举报电话：12369" in text


# --- both ------------------------------------------------------------------------------------


def test_fonts_are_noto_sans_cjk_sc_and_embedded(tmp_path):
    ent = lined_enterprise(extra_processes=0)
    entry = entry_build(year=YEAR, enterprise=ent)
    for kind, pdf in (("plan", plan_render(entry)), ("signboard", signboard_render(entry))):
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(pdf)
        rows = fonts(path)
        assert rows, kind
        assert all("NotoSansCJKSC" in name.replace("-", "") for name, _emb in rows), rows
        assert all(emb == "yes" for _name, emb in rows), rows
        assert PdfReader(path).trailer["/Root"].get("/Lang") == "zh-CN", kind


def test_new_revision_gives_new_files_and_the_old_ones_stay():
    ent = lined_enterprise(grade=None, extra_processes=0)
    entry = entry_build(year=YEAR, enterprise=ent)
    first = render_entry_documents(entry.pk)
    assert set(first) == {"plan", "signboard"}
    for kind, name in first.items():
        assert re.fullmatch(rf"list_documents/{entry.pk}/{kind}-r1-[0-9a-f]{{8}}\.pdf", name)
        assert default_storage.exists(name)
    # Asked again for the same revision: same content, same file, nothing added.
    assert render_entry_documents(entry.pk) == first
    # The grade changes, the entry follows it (R-LIST-6): revision 2, new files.
    grade_record_add(
        actor=None,
        enterprise=ent,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code="C"),
        effective_from=timezone.localdate(),
        source="review",
    )
    entry.refresh_from_db()
    assert entry.revision == 2
    second = render_entry_documents(entry.pk)
    for kind in ("plan", "signboard"):
        assert "-r2-" in second[kind] and second[kind] != first[kind]
        assert default_storage.exists(first[kind]) and default_storage.exists(second[kind])
        assert documents_list(entry)[kind] == [second[kind], first[kind]]
    # document_store names the file by the entry's revision and the content's checksum.
    pdf = default_storage.open(second["plan"]).read()
    assert document_store(entry, "plan", pdf)[0] == second["plan"]
    assert not list(Path(default_storage.path(f"list_documents/{entry.pk}")).glob(".*"))


# --- asking for them ---------------------------------------------------------------------------


def test_documents_request_audits_and_queues_on_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    ent = lined_enterprise(grade=None, extra_processes=0)
    entry = entry_build(year=YEAR, enterprise=ent)
    queued = []
    monkeypatch.setattr(render_entry_documents, "delay", lambda pk: queued.append(pk))
    county_user = factories.staff_user("county", "410184")
    owner = factories.enterprise_user(ent)
    for actor in (county_user, owner):
        with django_capture_on_commit_callbacks(execute=True):
            documents_request(actor=actor, entry=entry)
    assert queued == [entry.pk, entry.pk]
    events = AuditEvent.objects.filter(code="list.documents.requested", object_id=str(entry.pk))
    assert {e.actor_id for e in events} == {county_user.pk, owner.pk}


def test_another_countys_user_is_refused(
    other_county_user, monkeypatch, django_capture_on_commit_callbacks
):
    ent = lined_enterprise(grade=None, extra_processes=0)
    entry = entry_build(year=YEAR, enterprise=ent)
    other_ent_user = factories.enterprise_user(factories.enterprise(county="410184"))
    queued = []
    monkeypatch.setattr(render_entry_documents, "delay", lambda pk: queued.append(pk))
    for actor in (other_county_user, other_ent_user):
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(PermissionDenied),
        ):
            documents_request(actor=actor, entry=entry)
    assert queued == []
    assert not AuditEvent.objects.filter(code="list.documents.requested").exists()
