"""R-GUAR-4 on the list: a decided 保障类 declaration sets the entry's guarantee flag and scope by
itself (review sends ``guarantee_granted``, the list receives it); removal from the guarantee
list with reason and date clears it; both are in the entry's history."""

import datetime

import pytest
from django.utils import timezone

from declarations.models import Declaration
from declarations.services import lifecycle
from declarations.signals import guarantee_removed
from emergency_list.models import Action, ListEntry
from emergency_list.services.entries import entry_build
from review.tests import builders
from review.tests.builders import D
from tests import declaration_builders

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


@pytest.fixture
def second_county_user(db):
    return builders.county_staff("410184")


@pytest.fixture
def n31_expert(db):
    return builders.expert("N31", pool="410100")


def _decide_guarantee(enterprise_user, county_user, second_county_user, city_user, expert, pu):
    d = declaration_builders.draft(
        enterprise_user, grade="B", control_type="guarantee", guarantee_category="livelihood"
    )
    d = declaration_builders.complete(d, enterprise_user)
    lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    case = builders.open_case(county_user, Declaration.objects.get(pk=d.pk))
    case = builders.to_province(
        case,
        county_signers=[county_user, second_county_user],
        city_user=city_user,
        panel_expert=expert,
    )
    builders.sign(case, pu, D.CONFIRM, grade_code="B")
    return Declaration.objects.get(pk=d.pk)


def test_r_guar_4_decided_guarantee_declaration_sets_the_flag_and_removal_clears_it(
    enterprise_user, county_user, second_county_user, city_user, province_user, n31_expert
):
    declaration_builders.ensure_lines(enterprise_user.enterprise)
    entry = entry_build(year=YEAR, enterprise=enterprise_user.enterprise)
    assert not entry.is_guarantee
    declaration = _decide_guarantee(
        enterprise_user, county_user, second_county_user, city_user, n31_expert, province_user
    )
    assert declaration.status == Declaration.Status.DECIDED
    entry = ListEntry.objects.get(pk=entry.pk)
    assert entry.is_guarantee and "民生保障" in entry.guarantee_scope
    # measures follow: a guarantee-class enterprise only produces for its task (R-GUAR-4)
    assert {m.action for ep in entry.processes.all() for m in ep.measures.all()} <= {
        Action.AUTONOMOUS,
        Action.TRANSPORT_ONLY,
    }
    granted = entry.revisions.order_by("-revision").first()
    assert declaration.number in granted.reason and not granted.snapshot["flags"]["is_guarantee"]

    on = datetime.date(YEAR, 3, 5)
    guarantee_removed.send(
        sender=Declaration,
        enterprise=entry.enterprise,
        reason="预警期间超出保障任务范围生产",
        on=on,
        actor=county_user,
    )
    entry = ListEntry.objects.get(pk=entry.pk)
    assert not entry.is_guarantee and entry.guarantee_scope == ""
    removed = entry.revisions.order_by("-revision").first()
    assert "超出保障任务范围" in removed.reason and on.isoformat() in removed.reason
    assert removed.snapshot["flags"]["is_guarantee"] and removed.changed_by == county_user


def test_r_guar_4_an_entry_compiled_after_the_decision_starts_on_the_guarantee_class(
    enterprise_user, county_user, second_county_user, city_user, province_user, n31_expert
):
    declaration_builders.ensure_lines(enterprise_user.enterprise)
    _decide_guarantee(
        enterprise_user, county_user, second_county_user, city_user, n31_expert, province_user
    )
    ListEntry.objects.filter(enterprise=enterprise_user.enterprise).delete()
    entry = entry_build(year=YEAR, enterprise=enterprise_user.enterprise)
    assert entry.is_guarantee and "民生保障" in entry.guarantee_scope
    guarantee_removed.send(
        sender=Declaration,
        enterprise=entry.enterprise,
        reason="撤销",
        on=datetime.date(YEAR, 1, 1),
        actor=county_user,
    )
    ListEntry.objects.filter(enterprise=enterprise_user.enterprise).delete()
    assert not entry_build(year=YEAR, enterprise=enterprise_user.enterprise).is_guarantee
