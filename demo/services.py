"""Demo data: a realistic province to try the site and to benchmark it.

Deterministic (seeded) and idempotent: enterprise ``i`` always gets the same USCC, so running
again adds only what is missing and resets the demo accounts' passwords.
"""

import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db import transaction
from stdnum.cn import uscc as uscc_mod

from core.audit import event_record
from declarations.services.batches import batches_load
from grading.grades import worst_grade
from grading.models import (
    Enterprise,
    EnterpriseIndustry,
    Equipment,
    Grade,
    GradeRecord,
    GradeScheme,
    IndicatorSet,
    Industry,
    Process,
    ProductionLine,
    Region,
    User,
)
from grading.services.accounts import user_create
from review.models import PoolMembership
from review.services.pools import pool_member_add

DEMO_PASSWORD = "Demo@2026"
DEMO_COUNTY_CODE = "410184"  # 新郑市, 郑州市
DEMO_ENTERPRISE = {
    "name": "新郑市华豫彩印包装有限公司",
    "uscc": "91410184MA46HY8K2",  # the 18th character is computed
    "industry": "N31",
}
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TRADE_WORDS = [
    "华豫",
    "中原",
    "金鼎",
    "宏达",
    "恒信",
    "嵩岳",
    "黄河",
    "伏牛",
    "太行",
    "天瑞",
    "龙腾",
    "瑞丰",
    "鑫源",
    "新峰",
    "豫龙",
    "永安",
    "万隆",
    "广源",
    "东方",
    "兴业",
    "恒泰",
    "金瑞",
    "博大",
    "豫鑫",
    "昌盛",
    "汇丰",
    "德润",
    "安泰",
    "晟达",
    "开元",
    "宇通",
    "明泰",
    "中鼎",
    "丰华",
    "建业",
    "润德",
]
INDUSTRY_SUFFIX = {
    "metal": ("冶金", "铸业", "金属材料", "特钢", "铝业", "合金"),
    "building": ("建材", "水泥", "耐材", "陶瓷", "新型墙材", "玻璃"),
    "vocs": ("化工", "包装", "印务", "家具", "涂装", "橡塑"),
    "provincial": ("混凝土", "机械", "建材"),
    "general": ("实业", "科技", "制造", "机械", "食品", "材料"),
}
PROCESS_NAMES = {
    "metal": ("熔炼", "浇注", "轧制", "烧结"),
    "building": ("原料破碎", "熟料烧成", "粉磨", "包装"),
    "vocs": ("印刷", "复合", "涂布", "烘干", "喷涂"),
    "provincial": ("搅拌", "上料", "机加工"),
    "general": ("下料", "焊接", "喷涂", "烘干"),
}
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN_NAMES = ["建国", "志强", "海涛", "红梅", "国庆", "卫东", "春生", "秀英"]
GRADE_MIX = (("A", 3), ("B", 12), ("C", 40), ("D", 10), (None, 35))


def demo_uscc(county_code: str, index: int) -> str:
    body = ""
    n = index
    for _ in range(7):
        n, r = divmod(n, len(_ALPHABET))
        body = _ALPHABET[r] + body
    base = f"91{county_code}MA{body}"
    return base + uscc_mod.calc_check_digit(base)


def _scheme_grades() -> dict[int | None, list[Grade]]:
    """Industry id → its scheme's grades best to worst (None: the A/B/C/D fallback)."""
    out: dict[int | None, list[Grade]] = {}
    sets = IndicatorSet.objects.select_related("scheme").prefetch_related("scheme__grades")
    for s in sets.order_by("-effective_from"):
        out.setdefault(s.industry_id, s.scheme.ordered_grades())
    out[None] = GradeScheme.objects.get(code="ABCD").ordered_grades()
    return out


def _pick_grade(rng: random.Random, grades: list[Grade]) -> Grade | None:
    code = rng.choices([g for g, _ in GRADE_MIX], weights=[w for _, w in GRADE_MIX])[0]
    if code is None:
        return None
    by_code = {g.code: g for g in grades}
    if code in by_code:
        return by_code[code]
    # Binary schemes (引领性/非引领性): the good codes map to the first grade.
    return grades[0] if code in ("A", "B") else grades[-1]


def enterprises_seed(
    *, count: int, seed: int = 2026, progress: Callable[[int], None] | None = None
) -> int:
    """Create enterprises 0..count-1 that do not exist yet, spread over every county and
    industry, with lines, processes, equipment and (for about 65%) grades."""
    rng = random.Random(seed)
    counties = list(
        Region.objects.filter(level=Region.Level.COUNTY)
        | Region.objects.filter(level=Region.Level.CITY, reviews_as_county=True)
    )
    counties.sort(key=lambda r: r.code)
    industries = list(Industry.objects.filter(is_active=True).select_related("category"))
    general = next(i for i in industries if i.is_general)
    key_industries = [i for i in industries if not i.is_general]
    scheme_grades = _scheme_grades()
    existing = set(Enterprise.objects.values_list("uscc", flat=True))
    created = 0
    batch = 2000
    for start in range(0, count, batch):
        plan = []
        for i in range(start, min(start + batch, count)):
            county = counties[i % len(counties)]
            code = demo_uscc(county.code, i)
            # Draw every random number even for existing rows so runs stay reproducible.
            main = general if rng.random() < 0.35 else key_industries[i % len(key_industries)]
            second = rng.choice(key_industries) if rng.random() < 0.08 else None
            if second is not None and second.pk == main.pk:
                second = None
            draw = [rng.random() for _ in range(12)]
            if code in existing:
                continue
            plan.append((i, county, code, main, second, draw))
        if plan:
            created += _seed_batch(plan, rng, scheme_grades)
        if progress:
            progress(min(start + batch, count))
    return created


@transaction.atomic
def _seed_batch(plan, rng: random.Random, scheme_grades) -> int:
    enterprises = []
    for i, county, code, main, _second, draw in plan:
        trade = (
            TRADE_WORDS[i % len(TRADE_WORDS)]
            + TRADE_WORDS[(i // len(TRADE_WORDS)) % len(TRADE_WORDS)]
        )
        suffix = INDUSTRY_SUFFIX[main.category.code][i % len(INDUSTRY_SUFFIX[main.category.code])]
        name = (
            f"{county.name.rstrip('市县区')}{trade}{suffix}有限公司{'' if i < 1000 else f'（{i}）'}"
        )
        status = (
            Enterprise.ProductionStatus.RUNNING
            if draw[0] < 0.9
            else Enterprise.ProductionStatus.STOPPED
            if draw[0] < 0.97
            else Enterprise.ProductionStatus.NEW
        )
        city_name = county.parent.name if county.parent else ""
        enterprises.append(
            Enterprise(
                name=name,
                uscc=code,
                county=county,
                address=f"{city_name}{county.name}工业路{i % 400 + 1}号",
                longitude=Decimal("113.6") + Decimal(int(draw[1] * 30000)) / 10000,
                latitude=Decimal("33.9") + Decimal(int(draw[2] * 20000)) / 10000,
                legal_representative=SURNAMES[i % 10] + GIVEN_NAMES[i % 8],
                contact_person=f"{'孙马朱胡郭何高林罗郑'[i % 10]}经理",
                contact_mobile=f"13{800000000 + i % 199999999:09d}",
                production_status=status,
                is_small_micro=draw[3] < 0.15 and main.is_general,
                is_confidential=draw[4] < 0.01,
            )
        )
    Enterprise.objects.bulk_create(enterprises, batch_size=1000)
    ent_industries, lines_plan, records = [], [], []
    for ent, (_i, _county, _code, main, second, draw) in zip(enterprises, plan, strict=True):
        rows = [(main, True)] + ([(second, False)] if second else [])
        graded, managed = False, []
        for industry, is_main in rows:
            scale = Decimal(1) if is_main else Decimal("0.3")
            ladder = scheme_grades.get(industry.pk) or scheme_grades[None]
            grade = _pick_grade(rng, ladder)
            managed.append(grade or ladder[-1])
            vocs_heavy = industry.category.code == "vocs"
            ei = EnterpriseIndustry(
                enterprise=ent,
                industry=industry,
                is_main=is_main,
                so2_tpa=(Decimal(int(draw[5] * 40000)) / 1000 * scale).quantize(Decimal("0.001")),
                nox_tpa=(Decimal(int(draw[6] * 60000)) / 1000 * scale).quantize(Decimal("0.001")),
                pm_tpa=(Decimal(int(draw[7] * 30000)) / 1000 * scale).quantize(Decimal("0.001")),
                vocs_tpa=(
                    Decimal(int(draw[8] * (50000 if vocs_heavy else 5000))) / 1000 * scale
                ).quantize(Decimal("0.001")),
                current_grade=grade,
            )
            ent_industries.append(ei)
            if grade is not None:
                graded = True
                records.append(
                    GradeRecord(
                        enterprise=ent,
                        industry=industry,
                        grade=grade,
                        effective_from=date(2025, 10, 1),
                        source=GradeRecord.Source.IMPORT,
                        reason="演示数据：历史等级导入",
                    )
                )
        if graded:  # same rule as enterprise_overall_grade_refresh (R-GRADE-4, R-ELIG-4)
            ent.overall_grade = worst_grade(managed)
        lines_plan.append((ent, main, 1 + int(draw[9] * 3), draw))
    EnterpriseIndustry.objects.bulk_create(ent_industries, batch_size=2000)
    GradeRecord.objects.bulk_create(records, batch_size=2000)
    Enterprise.objects.bulk_update(
        [e for e in enterprises if e.overall_grade_id], ["overall_grade"], batch_size=2000
    )
    main_rows = {ei.enterprise_id: ei for ei in ent_industries if ei.is_main}
    lines = []
    for ent, main, n, _draw in lines_plan:
        for k in range(n):
            lines.append(
                ProductionLine(
                    enterprise=ent,
                    industry=main_rows[ent.pk],
                    name=f"{k + 1}号生产线",
                    products=f"{main.name}产品",
                    design_capacity=Decimal(10000 * (k + 1)),
                    capacity_unit="吨/年",
                )
            )
    ProductionLine.objects.bulk_create(lines, batch_size=2000)
    processes = []
    for line in lines:
        names = PROCESS_NAMES[line.industry.industry.category.code]
        for j in range(2):
            processes.append(Process(line=line, name=names[(line.pk + j) % len(names)]))
    Process.objects.bulk_create(processes, batch_size=4000)
    Equipment.objects.bulk_create(
        [Equipment(process=p, name=f"{p.name}设备", quantity=1 + p.pk % 3) for p in processes],
        batch_size=4000,
    )
    return len(enterprises)


@transaction.atomic
def demo_enterprise_ensure() -> Enterprise:
    """The demo enterprise: a packaging printer in 新郑市 with lines and processes, ungraded."""
    county = Region.objects.get(code=DEMO_COUNTY_CODE)
    industry = Industry.objects.get(code=DEMO_ENTERPRISE["industry"])
    base = DEMO_ENTERPRISE["uscc"][:17]
    code = base + uscc_mod.calc_check_digit(base)
    enterprise, created = Enterprise.objects.get_or_create(
        uscc=code,
        defaults={
            "name": DEMO_ENTERPRISE["name"],
            "county": county,
            "address": "河南省郑州市新郑市薛店镇工业园区华豫路8号",
            "longitude": Decimal("113.781200"),
            "latitude": Decimal("34.472300"),
            "park": "新郑市薛店食品工业园",
            "legal_representative": "王建国",
            "contact_person": "李红梅",
            "contact_mobile": "13803710001",
        },
    )
    if created:
        ei = EnterpriseIndustry.objects.create(
            enterprise=enterprise,
            industry=industry,
            is_main=True,
            branch="塑料彩印软包装印刷",
            nox_tpa=Decimal("1.200"),
            pm_tpa=Decimal("0.800"),
            vocs_tpa=Decimal("18.500"),
        )
        for name, processes in (
            ("1号凹版印刷线", ["凹版印刷", "复合", "烘干"]),
            ("2号柔版印刷线", ["柔版印刷", "分切"]),
        ):
            line = ProductionLine.objects.create(
                enterprise=enterprise,
                industry=ei,
                name=name,
                products="塑料彩印软包装",
                design_capacity=Decimal("3000"),
                capacity_unit="吨/年",
            )
            for p in processes:
                proc = Process.objects.create(line=line, name=p, is_air_emitting=p != "分切")
                Equipment.objects.create(process=proc, name=f"{p}机", model="BOPP-1200", quantity=2)
    return enterprise


def demo_users_ensure(*, password: str) -> list[tuple[str, str, str]]:
    """One user per role; existing ones get their password (and binding) reset."""
    county = Region.objects.get(code=DEMO_COUNTY_CODE)
    city = county.parent
    province = city.parent
    enterprise = demo_enterprise_ensure()
    specs = [
        ("demo-enterprise", User.Role.ENTERPRISE, "李红梅", {"enterprise": enterprise}),
        ("demo-county", User.Role.COUNTY, "赵县审", {"region": county}),
        ("demo-city", User.Role.CITY, "钱市审", {"region": city}),
        (
            "demo-expert",
            User.Role.EXPERT,
            "孙专家",
            {
                "expert": {
                    "employer": "河南省环境保护科学研究院",
                    "title": "正高级工程师",
                    "home_region": province,
                    "industries": list(Industry.objects.filter(code__in=["N31", "N15", "N06"])),
                }
            },
        ),
        ("demo-province", User.Role.PROVINCE, "周省审", {"region": province}),
        ("demo-admin", User.Role.ADMIN, "系统管理员", {}),
        # 三员分立: the security and audit administrators beside the system administrator.
        ("demo-security", User.Role.SECURITY, "安全管理员", {}),
        ("demo-auditor", User.Role.AUDITOR, "审计管理员", {}),
    ]
    out = []
    for username, role, full_name, extra in specs:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=None,
                username=username,
                password=password,
                role=role,
                full_name=full_name,
                **extra,
            )
        else:
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
        where = getattr(user.region, "name", "") or getattr(user.enterprise, "name", "")
        out.append((username, user.get_role_display(), where))
    expert = User.objects.get(username="demo-expert")
    if not PoolMembership.objects.filter(expert=expert, removed_at__isnull=True).exists():
        # The demo expert sits in the provincial pool, which every city forms panels from.
        pool_member_add(actor=User.objects.get(username="demo-admin"), expert=expert, pool=province)
    batches_load()
    batches_load(year=date.today().year)
    event_record(
        code="demo.seeded",
        actor=None,
        target=province,
        summary="生成演示数据与演示账户",
    )
    return out
