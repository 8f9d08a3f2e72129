"""Each permission and predicate of declarations/rules.py, once, for every role; and the one
object rule (``view_declaration``) against the selectors' queryset rule."""

import pytest
import rules

from declarations import rules as declaration_rules
from declarations.models import Declaration
from declarations.selectors import declaration_list
from declarations.services import lifecycle
from grading.tests.people import ROLES, make_people
from tests import declaration_builders as builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_eager")]

BUREAU = ("county", "other county", "city", "other city", "province", "admin")
IN_REACH = ("county", "city", "province", "admin")


@pytest.fixture
def people(enterprise, other_enterprise, enterprise_user):
    return {**make_people(enterprise, other_enterprise), "enterprise": enterprise_user}


@pytest.fixture
def draft(enterprise_user, submitted):
    return builders.draft(enterprise_user, grade="B", year=submitted.year + 1)


def answers(people, perm, obj) -> dict[str, bool]:
    return {role: rules.has_perm(perm, people[role], obj) for role in ROLES}


def expect(*yes: str) -> dict[str, bool]:
    return {role: role in yes for role in ROLES}


@pytest.mark.parametrize(
    "predicate,on_draft,on_submitted",
    [
        ("is_declaration_owner", ["enterprise"], ["enterprise"]),
        ("is_editable", ROLES, []),
        ("is_submitted", [], ROLES),
        ("has_reached_the_county", [], ROLES),
        ("declaration_in_reach", IN_REACH, IN_REACH),
        ("can_see_declaration", ["enterprise"], ["enterprise", *IN_REACH]),
    ],
)
def test_declaration_predicates(people, draft, submitted, predicate, on_draft, on_submitted):
    check = getattr(declaration_rules, predicate)
    for declaration, yes in ((draft, on_draft), (submitted, on_submitted)):
        got = {role: bool(check(people[role], declaration)) for role in ROLES}
        assert got == expect(*yes), (predicate, declaration.status)
    assert not check(people["enterprise"], None)


def test_can_see_declaration_of_an_evidence_file_or_a_version(people, submitted):
    evidence = submitted.evidence.first()
    version = submitted.versions.get()
    for obj in (evidence, version):
        got = {r: bool(declaration_rules.can_see_declaration_of(people[r], obj)) for r in ROLES}
        assert got == expect("enterprise", *IN_REACH)
    assert not declaration_rules.can_see_declaration_of(people["enterprise"], None)


@pytest.mark.parametrize(
    "perm,on,yes",
    [
        ("declarations.view_declarations", None, ["enterprise", "other enterprise", *BUREAU]),
        ("declarations.view_drafts", None, ["enterprise", "other enterprise"]),
        ("declarations.add_declaration", None, ["enterprise", "other enterprise"]),
        ("declarations.receive_submissions", None, ["county", "other county", "admin"]),
        ("declarations.edit_batches", None, ["province", "admin"]),
        ("declarations.view_declaration", "draft", ["enterprise"]),
        ("declarations.view_declaration", "submitted", ["enterprise", *IN_REACH]),
        ("declarations.change_declaration", "draft", ["enterprise"]),
        ("declarations.change_declaration", "submitted", []),
        ("declarations.submit_declaration", "draft", ["enterprise"]),
        ("declarations.upload_evidence", "draft", ["enterprise"]),
        ("declarations.withdraw_declaration", "submitted", ["enterprise"]),
        ("declarations.withdraw_declaration", "draft", []),
        ("declarations.review_declaration", "submitted", IN_REACH),
        ("declarations.download_evidence", "evidence", ["enterprise", *IN_REACH]),
        ("declarations.download_package", "version", ["enterprise", *IN_REACH]),
        ("declarations.request_package", "version", ["enterprise", *IN_REACH]),
    ],
)
def test_permissions(people, draft, submitted, perm, on, yes):
    obj = {
        "draft": draft,
        "submitted": submitted,
        "evidence": submitted.evidence.first(),
        "version": submitted.versions.first(),
    }.get(on)
    assert answers(people, perm, obj) == expect(*yes)


def test_view_declaration_is_the_selectors_rule(people, draft, submitted, county_user):
    """The object rule and the queryset rule agree for every role and every state: a draft, a
    declaration returned for revision, one withdrawn back to a draft."""
    returned = builders.complete(draft, people["enterprise"])
    lifecycle.declaration_submit(actor=people["enterprise"], declaration=returned)
    lifecycle.declaration_start_review(actor=county_user, declaration=returned)
    lifecycle.declaration_return(actor=county_user, declaration=returned, reason="补充材料")
    withdrawn = Declaration.objects.get(pk=submitted.pk)
    lifecycle.declaration_withdraw(actor=people["enterprise"], declaration=withdrawn)
    for declaration in Declaration.objects.all():
        for role in ROLES:
            user = people[role]
            listed = declaration_list(viewer=user).filter(pk=declaration.pk).exists()
            assert rules.has_perm("declarations.view_declaration", user, declaration) == listed, (
                role,
                declaration.status,
            )
