"""Test data builders. Enterprises go through the real service so the rules apply."""

import itertools
from decimal import Decimal

from stdnum.cn import uscc as uscc_mod

from grading.models import Enterprise, Industry, Region, User
from grading.services.accounts import user_create
from grading.services.enterprises import IndustryEntry, enterprise_create

PASSWORD = "Demo@2026"
_seq = itertools.count(1)
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def valid_uscc(county_code: str = "410184", n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    body = ""
    for _ in range(7):
        n, r = divmod(n, len(_ALPHABET))
        body = _ALPHABET[r] + body
    base = f"92{county_code}TK{body}"
    return base + uscc_mod.calc_check_digit(base)


def admin_user() -> User:
    return User.objects.filter(role=User.Role.ADMIN).first() or user_create(
        actor=None, username=f"admin{next(_seq)}", password=PASSWORD, role=User.Role.ADMIN
    )


def staff_user(role: str, region_code: str, username: str | None = None) -> User:
    return user_create(
        actor=None,
        username=username or f"{role}{next(_seq)}",
        password=PASSWORD,
        role=role,
        full_name=f"{role}用户",
        region=Region.objects.get(code=region_code),
    )


def enterprise(
    *,
    county: str = "410184",
    industry: str | list[str] = "N31",
    name: str | None = None,
    emissions: list[dict] | None = None,
    **fields,
) -> Enterprise:
    codes = [industry] if isinstance(industry, str) else industry
    entries = []
    for i, code in enumerate(codes):
        em = (emissions or [{}] * len(codes))[i]
        entries.append(
            IndustryEntry(
                industry=Industry.objects.get(code=code),
                **{k: Decimal(str(v)) for k, v in em.items()},
            )
        )
    n = next(_seq)
    return enterprise_create(
        actor=admin_user(),
        data={
            "name": name or f"测试企业{n}有限公司",
            "uscc": valid_uscc(county, n),
            "county": Region.objects.get(code=county),
            **fields,
        },
        industries=entries,
    )


def enterprise_user(ent: Enterprise, username: str | None = None) -> User:
    return user_create(
        actor=None,
        username=username or f"ent{next(_seq)}",
        password=PASSWORD,
        role=User.Role.ENTERPRISE,
        enterprise=ent,
    )


def expert_user(**profile) -> User:
    return user_create(
        actor=None,
        username=f"expert{next(_seq)}",
        password=PASSWORD,
        role=User.Role.EXPERT,
        expert={"employer": "某大学", **profile},
    )
