"""The official lists rendered by the worker as the seeds lay them out, reopened, their headers
and order checked against the seed text (R-TGT-2, R-TGT-3; 001 附件3/附件4; 002 附件3)."""

import datetime
import io
import os
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from openpyxl import load_workbook

from emergency_list.services.entries import entry_build, entry_update
from grading.models import GradeRecord, IndicatorCategory, Industry, Region, User
from publication.services.exports import export_request
from publication.services.improvement import improvement_add
from publication.tests import builders, seeds
from review.tests import builders as review
from tests import factories

pytestmark = pytest.mark.django_db
IMPORT = GradeRecord.Source.IMPORT
YEAR = datetime.date.today().year


def render(django_capture_on_commit_callbacks, actor, kind, code, **kw) -> list[tuple]:
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(actor=actor, kind=kind, region=Region.objects.get(code=code), **kw)
    export.refresh_from_db()
    assert export.status == "ready", export.error
    client = Client()
    client.force_login(actor)
    response = client.get(f"/publication/exports/{export.pk}/download/")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [
        tuple("" if v is None else v for v in row) for row in wb.active.iter_rows(values_only=True)
    ]


def header_of(rows, first: str = "序号") -> tuple[int, tuple]:
    i = next(i for i, r in enumerate(rows) if r and r[0] == first)
    return i, rows[i]


def test_the_seed_excerpts_are_verbatim():
    folder = os.environ.get("SEEDS_DIR")
    if not folder:
        pytest.skip("SEEDS_DIR names the folder of the seed documents")
    for name, lines in seeds.SEED_LINES.items():
        text = Path(folder, name).read_text(encoding="utf-8")
        for line in lines:
            assert line in text, (name, line)


def indicator(code_or_seq) -> IndicatorCategory:
    return IndicatorCategory.objects.order_by("seq")[code_or_seq]


def test_r_tgt_2_improvement_list(
    django_capture_on_commit_callbacks, county_user, other_county_user, city_user
):
    xz_b = factories.enterprise(
        county="410184", name="新郑市乙包装有限公司", industry=["N31", "N06"]
    )
    xz_a = factories.enterprise(county="410184", name="新郑市甲铸造有限公司", industry="N06")
    zm = factories.enterprise(county="410122", name="中牟县丙印务有限公司", industry="N31")
    for ent, code in ((xz_b, "C"), (xz_a, "C"), (zm, "D")):
        builders.decided(ent, code, source=IMPORT)
    due = datetime.date(YEAR, 12, 31)

    def add(user, ent, industry, target, ind, problem="问题", note=""):
        return improvement_add(
            actor=user,
            year=YEAR,
            enterprise=ent,
            industry=Industry.objects.get(code=industry),
            target_grade=builders.grade(target),
            indicator=indicator(ind),
            problem=problem,
            measures="改造",
            due_on=due,
            note=note,
        )

    add(county_user, xz_b, "N31", "B", 3, problem="VOCs收集效率低")
    add(county_user, xz_b, "N06", "A", 1)
    add(county_user, xz_a, "N06", "B", 2)
    add(other_county_user, zm, "N31", "C", 0)
    with pytest.raises(PermissionDenied):
        add(other_county_user, xz_a, "N31", "B", 0)
    with pytest.raises(ValidationError, match="高于现状"):
        add(county_user, xz_a, "N06", "C", 5)

    rows = render(django_capture_on_commit_callbacks, city_user, "improvement", "410100")
    assert rows[0][0] == seeds.IMPROVEMENT_TITLE
    i, header = header_of(rows)
    assert "\t".join(header) == seeds.IMPROVEMENT_HEADER
    data = rows[i + 1 :]
    # 县（市、区）, 行业类型, 绩效提升目标, 差异化指标 (001 附件3 注3).
    assert [(r[2], r[3], r[4], r[7]) for r in data] == [
        ("中牟县", "中牟县丙印务有限公司", "包装印刷", "C级"),
        ("新郑市", "新郑市乙包装有限公司", "铸造", "A级"),
        ("新郑市", "新郑市甲铸造有限公司", "铸造", "B级"),
        ("新郑市", "新郑市乙包装有限公司", "包装印刷", "B级"),
    ]
    assert [r[0] for r in data] == [1, 2, 3, 4]
    # 附件3 注4: one row per industry, the other industries noted in 备注.
    assert data[1][12] == "企业还涉及：包装印刷" and data[3][12] == "企业还涉及：铸造"
    assert data[3][6] == "C级" and data[3][9] == "VOCs收集效率低"
    assert data[0][6] == "D级" and data[1][11] == f"{YEAR}年12月31日"
    county_only = render(django_capture_on_commit_callbacks, county_user, "improvement", "410184")
    assert all(r[2] == "新郑市" for r in county_only[header_of(county_only)[0] + 1 :])


def test_r_tgt_3_declaration_list(django_capture_on_commit_callbacks, county_user):
    second = review.county_staff("410184")
    made = []
    for name, industry, grade in (
        ("新郑市甲包装有限公司", "N31", "B"),
        ("新郑市乙彩印有限公司", "N31", "A"),
        ("新郑市丙铸造有限公司", "N06", "C"),
    ):
        ent = factories.enterprise(county="410184", name=name, industry=industry)
        user = factories.enterprise_user(ent)
        declaration = review.submitted(user, grade=grade, industry=industry)
        case = review.open_case(county_user, declaration)
        review.county_recommend(case, [county_user, second])
        made.append(declaration)

    rows = render(django_capture_on_commit_callbacks, county_user, "declaration", "410184")
    assert rows[0][0] == seeds.DECLARATION_TITLE.replace("XX市", "郑州市")
    assert rows[1][0] == seeds.DECLARATION_ORDER
    assert rows[2][0].startswith("新郑市生态环境局")
    i, header = header_of(rows)
    assert "\t".join(header) == seeds.DECLARATION_HEADER
    data = rows[i + 1 :]
    # 按技术指南区分行业类型、评定等级排序: 铸造 (金属类) before 包装印刷, A before B.
    assert [(r[1], r[3], r[4]) for r in data] == [
        ("新郑市丙铸造有限公司", "铸造", "C级"),
        ("新郑市乙彩印有限公司", "包装印刷", "A级"),
        ("新郑市甲包装有限公司", "包装印刷", "B级"),
    ]
    first = made[0]
    first.refresh_from_db()
    assert data[2][5] == first.responsible_person and data[2][6] == first.responsible_mobile
    month = render(
        django_capture_on_commit_callbacks,
        county_user,
        "declaration",
        "410184",
        params={"month": (datetime.date.today().month % 12) + 1},
    )
    assert len(month) == header_of(month)[0] + 1  # nothing signed in another month


def test_province_ab_list(django_capture_on_commit_callbacks, city_user):
    for name, county, industry, grade, secret in (
        ("新郑市乙包装有限公司", "410184", "N31", "B", False),
        ("新郑市甲包装有限公司", "410184", "N31", "A", False),
        ("新郑市丁混凝土有限公司", "410184", "HN01", "LEAD", True),
        ("中牟县丙铸造有限公司", "410122", "N06", "A", False),
        ("新郑市戊包装有限公司", "410184", "N31", "C", False),
    ):
        ent = factories.enterprise(
            county=county, name=name, industry=industry, is_confidential=secret
        )
        builders.decided(ent, grade, source=IMPORT)
    rows = render(django_capture_on_commit_callbacks, city_user, "province_ab", "410100")
    assert rows[0][0] == "郑州市" + seeds.PROVINCE_AB_NAME.replace(" ", "")
    i, header = header_of(rows)
    assert header[:6] == tuple(seeds.IMPROVEMENT_HEADER.split("\t")[:6])
    assert header[6:] == ("绩效等级", "评定日期", "备注")
    data = rows[i + 1 :]
    assert [(r[2], r[3], r[6]) for r in data] == [
        ("中牟县", "中牟县丙铸造有限公司", "A级"),
        ("新郑市", "新郑市甲包装有限公司", "A级"),
        ("新郑市", "新郑市乙包装有限公司", "B级"),
        ("新郑市", "新郑市丁混凝土有限公司", "绩效引领性"),
    ]
    assert data[3][8] == "涉密企业，不对外公开"


def test_guarantee_list_per_city(django_capture_on_commit_callbacks, county_user, city_user):
    low = factories.enterprise(county="410184", name="新郑市甲保障包装有限公司", industry="N31")
    good = factories.enterprise(county="410122", name="中牟县乙保障铸造有限公司", industry="N06")
    builders.decided(low, "C", source=IMPORT)
    builders.decided(good, "B", source=IMPORT)
    other = factories.enterprise(county="410122", name="中牟县丙非保障有限公司")
    for ent, scope in ((low, "民生保障：包装供应"), (good, "城市运行保障"), (other, None)):
        entry = entry_build(year=YEAR, enterprise=ent)
        if scope:
            staff = builders.staff(User.Role.COUNTY, ent.county.code)
            entry_update(
                actor=staff, entry=entry, data={"is_guarantee": True, "guarantee_scope": scope}
            )
    rows = render(django_capture_on_commit_callbacks, city_user, "guarantee", "410100")
    assert rows[0][0] == f"郑州市{YEAR}年{seeds.GUARANTEE_NAME}"
    i, header = header_of(rows)
    assert header == (
        "序号",
        "县(市、区)",
        "企业名称",
        "统一社会信用代码",
        "行业类型",
        "保障类类别",
        "绩效等级",
        "保障任务范围",
        "备注",
    )
    data = rows[i + 1 :]
    assert [(r[1], r[2]) for r in data] == [
        ("中牟县", "中牟县乙保障铸造有限公司"),
        ("新郑市", "新郑市甲保障包装有限公司"),
    ]
    assert data[1][7] == "民生保障：包装供应"
    assert "需帮扶提升" in data[1][8] and data[0][8] == ""
    with pytest.raises(ValidationError):
        export_request(actor=county_user, kind="guarantee", region=county_user.region)
