"""The approval form (审核意见表, 002 附件1) of a signed opinion and the monthly bundle, checked
with poppler's tools on the real files (R-REV-4, R-REV-5)."""

import datetime
import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

import core.documents
from core.models import AuditEvent
from declarations.models import Declaration
from declarations.services import lifecycle
from grading.models import Grade, Region
from review.models import ApprovalForm, ApprovalFormBundle, Opinion
from review.services.bundles import EMPTY_MONTH, bundle_request
from review.services.decisions import first_review_open, review_sign
from review.services.forms import approval_form_request
from review.services.onsite import onsite_record
from tests import declaration_builders as builders
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_eager(settings, tmp_path):
    """Files go to the test's own folder; tasks run in-process when a transaction commits."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True


# --- helpers --------------------------------------------------------------------------------


def submitted(user, *, grade: str = "B", evidence_rows: int | None = 1) -> Declaration:
    d = builders.complete(builders.draft(user, grade=grade), user, evidence_rows=evidence_rows)
    lifecycle.declaration_submit(actor=user, declaration=d)
    return Declaration.objects.get(pk=d.pk)


def sign_return(county_user, declaration, capture, *, conclusion: str = "材料不全，退回补充。"):
    """A county return: no verdicts or grade needed. The form renders on commit (eager)."""
    case = first_review_open(actor=county_user, declaration=declaration)
    with capture(execute=True):
        opinion = review_sign(
            actor=county_user,
            case=case,
            decision="return",
            summary="经审核，企业申报材料基本齐全，部分证明材料不清晰。",
            conclusion=conclusion,
            signers=[county_user],
        )
    return opinion


def sign_recommend(county_user, declaration, capture, *, signers=None) -> Opinion:
    """A county recommendation of a grade-C declaration with a verdict for every row."""
    case = first_review_open(actor=county_user, declaration=declaration)
    verdicts = {
        row.pk: ("meets", f"{row.category.name}符合C级要求")
        for row in declaration.indicator_rows.filter(applicable=True)
    }
    with capture(execute=True):
        opinion = review_sign(
            actor=county_user,
            case=case,
            decision="recommend",
            summary=(
                "初审小组对企业申报材料进行了审核，并查阅了环评批复、验收及排污许可等手续。"
                "企业各项差异化指标均达到C级要求，证明材料齐全。"
            ),
            conclusion="同意该企业按C级上报市级审核。",
            signers=signers or [county_user],
            grade=Grade.objects.get(code="C"),
            verdicts=verdicts,
        )
    return opinion


def form_of(opinion: Opinion, revision: int = 1) -> ApprovalForm:
    return ApprovalForm.objects.get(opinion=opinion, revision=revision)


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return run("pdftotext", *pages, str(path), "-")


def pdf_pages(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(path)), re.MULTILINE).group(1))


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- R-REV-4: the fields of the form --------------------------------------------------------


def test_r_rev_4_approval_form_has_the_fields_of_the_form(
    enterprise_user, county_user, django_capture_on_commit_callbacks
):
    expert = factories.expert_user(employer="河南省环境科学研究院", title="高级工程师")
    d = submitted(enterprise_user, grade="C", evidence_rows=None)
    opinion = sign_recommend(
        county_user, d, django_capture_on_commit_callbacks, signers=[county_user, expert]
    )
    form = form_of(opinion)
    assert form.status == ApprovalForm.Status.READY
    assert form.rendered_at is not None
    path = Path(form.file.path)
    assert path.name == f"{d.number}-{opinion.pk}-r1.pdf"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == form.sha256

    text = compact(pdf_text(path))
    signed_on = timezone.localdate(opinion.signed_at)
    for expected in (
        "重污染天气绩效分级审核意见表",
        "企业名称",
        d.enterprise.name,
        "日期",
        f"{signed_on.year}年{signed_on.month}月{signed_on.day}日",
        "行业类型",
        d.industry.name,
        "申请分级类型",
        "绩效分级·C级",
        "初审意见汇总",
        "企业各项差异化指标均达到C级要求",
        "分级意见结论",
        "同意该企业按C级上报市级审核。",
        "初审通过，报市级审核",
        "初审小组人员",
        county_user.display_name,
        expert.display_name,
        "河南省环境科学研究院",
        "签字：",
        "（盖章）",
        d.number,
        "审核意见表第1次生成",
    ):
        assert compact(expected) in text, expected
    for row in d.indicator_rows.filter(applicable=True):
        assert f"{row.category.name}符合C级要求" in text

    fonts = run("pdffonts", str(path))
    cjk = [line for line in fonts.splitlines() if "NotoSansCJKSC" in line.replace("-", "")]
    assert cjk, fonts
    for line in cjk:  # the emb column: a missing glyph would not raise, so check the font
        assert re.search(r"\b(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+", line).group(1) == "yes"
    assert pdf_pages(path) == 1


def test_r_rev_4_return_has_no_verdict_list_and_one_page(
    enterprise_user, county_user, django_capture_on_commit_callbacks
):
    opinion = sign_return(
        county_user, submitted(enterprise_user), django_capture_on_commit_callbacks
    )
    form = form_of(opinion)
    path = Path(form.file.path)
    text = compact(pdf_text(path))
    assert "退回企业修改" in text
    assert "材料不全，退回补充。" in text
    assert "审核结论" in text and "序号" not in text
    assert pdf_pages(path) == 1


# --- R-REV-3: the on-site verification form (现场核查意见表, 002 附件1) ------------------------


def test_r_rev_3_onsite_opinion_is_rendered_as_the_verification_form(
    enterprise_user, county_user, city_user, django_capture_on_commit_callbacks
):
    """The panel's signed on-site record is rendered by the worker as the 现场核查意见表 with
    the visit date, 核查情况 and 核查结论, and kept as a revision like the approval forms."""
    from review.tests import builders as review_builders

    second = factories.staff_user("county", "410184")
    expert = review_builders.expert("N31", employer="郑州大学", title="教授")
    case = first_review_open(actor=county_user, declaration=submitted(enterprise_user))
    with django_capture_on_commit_callbacks(execute=True):
        review_builders.county_recommend(case, [county_user, second])
        case = review_builders.refresh(case)
        review_builders.panel_form(case, city_user, [expert])
    due = timezone.localdate() + datetime.timedelta(days=15)
    rows = list(case.declaration.indicator_rows.filter(applicable=True).order_by("seq"))
    with django_capture_on_commit_callbacks(execute=True):
        verification = onsite_record(
            actor=expert,
            case=case,
            visited_on=timezone.localdate(),
            recommended_grade=Grade.objects.get(code="B"),
            summary="专家组现场查看了凹版印刷线及VOCs治理设施，设施运行正常。",
            conclusion="现场情况与申报材料一致，建议评为B级。",
            signers=[expert, city_user],
            findings={r.pk: ("meets", f"{r.category.name}现场与申报一致") for r in rows[:3]},
            rectifications=[("完善VOCs治理设施运行台账", due)],
        )
    form = form_of(verification.opinion)
    assert form.status == ApprovalForm.Status.READY
    path = Path(form.file.path)
    assert path.name == f"{case.declaration.number}-{verification.opinion.pk}-r1.pdf"
    text = compact(pdf_text(path))
    visited = verification.visited_on
    for expected in (
        "重污染天气绩效分级现场核查意见表",
        "企业名称",
        case.declaration.enterprise.name,
        "核查日期",
        f"{visited.year}年{visited.month}月{visited.day}日",
        "行业类型",
        case.declaration.industry.name,
        "申请分级类型",
        "核查情况",
        "专家组现场查看了凹版印刷线及VOCs治理设施，设施运行正常。",
        f"{rows[0].category.name}现场与申报一致",
        "核查结论",
        "现场情况与申报材料一致，建议评为B级。",
        "核查建议等级：B级",
        "完善VOCs治理设施运行台账",
        f"{due.year}年{due.month}月{due.day}日",
        "核查小组人员",
        expert.display_name,
        "郑州大学",
        city_user.display_name,
        "签字：",
        "现场核查意见表第1次生成",
    ):
        assert compact(expected) in text, expected
    # The approval form's labels are not the on-site form's.
    assert "审核意见汇总" not in text and "分级意见结论" not in text
    fonts = run("pdffonts", str(path))
    assert any("NotoSansCJKSC" in line.replace("-", "") for line in fonts.splitlines()), fonts
    assert pdf_pages(path) == 1

    with django_capture_on_commit_callbacks(execute=True):
        again = approval_form_request(actor=city_user, opinion=verification.opinion)
    assert again.revision == 2
    assert "现场核查意见表第2次生成" in compact(pdf_text(Path(form_of(again.opinion, 2).file.path)))
    assert path.exists() and form_of(verification.opinion).sha256 == form.sha256


def test_user_text_is_printed_literally_and_nothing_is_fetched(
    enterprise_user, county_user, django_capture_on_commit_callbacks, monkeypatch
):
    fetched = []
    original = core.documents.RestrictedURLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(core.documents.RestrictedURLFetcher, "fetch", spy)
    hostile = "<script>alert(1)</script><img src=http://x> <b>粗</b>"
    opinion = sign_return(
        county_user,
        submitted(enterprise_user),
        django_capture_on_commit_callbacks,
        conclusion=f"退回：{hostile}",
    )
    form = form_of(opinion)
    assert form.status == ApprovalForm.Status.READY
    text = compact(pdf_text(Path(form.file.path)))
    assert compact(hostile) in text
    assert fetched and all(u.startswith("file:") and u.endswith(".css") for u in fetched)
    assert {u.rsplit("/", 1)[1] for u in fetched} == {"document.css", "signed_form.css"}


# --- R-REV-5: a new rendering is a new revision; signed files are never changed -------------


def test_r_rev_5_rerender_is_a_new_revision_old_file_kept(
    enterprise_user, county_user, django_capture_on_commit_callbacks
):
    opinion = sign_return(
        county_user, submitted(enterprise_user), django_capture_on_commit_callbacks
    )
    first = form_of(opinion)
    first_path = Path(first.file.path)
    first_bytes = first_path.read_bytes()
    first_mtime = first_path.stat().st_mtime_ns

    with django_capture_on_commit_callbacks(execute=True):
        again = approval_form_request(actor=county_user, opinion=opinion)
    assert again.revision == 2
    second = form_of(opinion, 2)
    assert second.status == ApprovalForm.Status.READY
    assert second.file.name != first.file.name
    assert Path(second.file.path).name == f"{opinion.case.declaration.number}-{opinion.pk}-r2.pdf"

    first.refresh_from_db()
    assert first.status == ApprovalForm.Status.READY
    assert first_path.read_bytes() == first_bytes
    assert first_path.stat().st_mtime_ns == first_mtime
    for form in (first, second):
        with form.file.open("rb") as fh:
            data = fh.read()
        assert data.startswith(b"%PDF")
        assert hashlib.sha256(data).hexdigest() == form.sha256
    assert "审核意见表第2次生成" in compact(pdf_text(Path(second.file.path)))
    assert AuditEvent.objects.filter(
        code="review.form.rerender_requested", data__form=second.pk
    ).exists()


def test_a_failed_render_is_marked_failed_and_raised(
    enterprise_user, county_user, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr("review.services.rendering.render_pdf", broken)
    with pytest.raises(RuntimeError):
        sign_return(county_user, submitted(enterprise_user), django_capture_on_commit_callbacks)
    form = ApprovalForm.objects.get()
    assert form.status == ApprovalForm.Status.FAILED
    assert form.error == "字体缺失"
    assert not form.file


# --- the monthly bundle ----------------------------------------------------------------------


def request_bundle(actor, code: str, capture, *, on: datetime.date | None = None):
    on = on or timezone.localdate()
    with capture(execute=True):
        bundle = bundle_request(
            actor=actor, region=Region.objects.get(code=code), year=on.year, month=on.month
        )
    bundle.refresh_from_db()
    return bundle


def test_bundle_of_a_county_holds_every_form_of_the_month(
    county_user, other_county_user, city_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    xinzheng = [factories.enterprise(county="410184") for _ in range(2)]
    zhongmou = factories.enterprise(county="410122", industry="N31")
    for ent in xinzheng:
        sign_return(county_user, submitted(factories.enterprise_user(ent)), capture)
    sign_return(other_county_user, submitted(factories.enterprise_user(zhongmou)), capture)
    # An opinion whose form was never rendered (its on-commit task did not run).
    third = factories.enterprise(county="410184")
    declaration = submitted(factories.enterprise_user(third))
    case = first_review_open(actor=county_user, declaration=declaration)
    review_sign(
        actor=county_user,
        case=case,
        decision="return",
        summary="材料缺项。",
        conclusion="退回补充。",
        signers=[county_user],
    )
    assert ApprovalForm.objects.get(opinion__case=case).status == ApprovalForm.Status.PENDING

    bundle = request_bundle(county_user, "410184", capture)
    assert bundle.status == ApprovalFormBundle.Status.READY, bundle.error
    assert bundle.progress == 100
    assert bundle.count == 3
    path = Path(bundle.file.path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == bundle.sha256
    assert pdf_pages(path) == 3
    text = compact(pdf_text(path))
    assert text.count("重污染天气绩效分级审核意见表") == 3
    for ent in [*xinzheng, third]:
        assert ent.name in text
    assert zhongmou.name not in text
    assert ApprovalForm.objects.get(opinion__case=case).status == ApprovalForm.Status.READY
    assert AuditEvent.objects.filter(
        code="review.form.bundle_requested", object_id=str(bundle.pk)
    ).exists()

    # The city's bundle covers its counties, in county-code order (中牟 410122 first).
    city = request_bundle(city_user, "410100", capture)
    assert city.status == ApprovalFormBundle.Status.READY
    city_path = Path(city.file.path)
    assert pdf_pages(city_path) == city.count == 4
    assert zhongmou.name in compact(pdf_text(city_path, page=1))


def test_bundle_of_a_month_without_opinions_fails_in_chinese(
    county_user, django_capture_on_commit_callbacks
):
    bundle = request_bundle(
        county_user, "410184", django_capture_on_commit_callbacks, on=datetime.date(2024, 1, 15)
    )
    assert bundle.status == ApprovalFormBundle.Status.FAILED
    assert bundle.error == EMPTY_MONTH == "该月没有已签署的审核意见"
    assert not bundle.file


def test_bundle_is_refused_outside_the_jurisdiction(
    county_user, other_county_user, province_user, django_capture_on_commit_callbacks
):
    xinzheng = Region.objects.get(code="410184")
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        bundle_request(actor=other_county_user, region=xinzheng, year=today.year, month=today.month)
    with pytest.raises(PermissionDenied):  # a county cannot bundle its whole city
        bundle_request(
            actor=county_user,
            region=Region.objects.get(code="410100"),
            year=today.year,
            month=today.month,
        )
    assert not ApprovalFormBundle.objects.exists()
    bundle = request_bundle(province_user, "410184", django_capture_on_commit_callbacks)
    assert bundle.status == ApprovalFormBundle.Status.FAILED  # allowed; nothing signed yet
