"""The enterprise finds its results in its own navigation, starts this year's declaration
as a copy of last year's, and deletes a draft on purpose, in a real browser."""

import datetime

import pytest

from declarations.models import Declaration
from declarations.services import lifecycle
from grading.models import Grade, GradeRecord, Industry, User
from grading.services.grades import grade_record_add
from tests import declaration_builders, factories
from tests.e2e import test_declaration_flow as flow
from tests.e2e.test_declaration_flow import click_and_wait, log_in

pytestmark = pytest.mark.e2e
account = flow.enterprise_account


def test_enterprise_results_copy_and_delete_draft(page, live_server, account):
    user = account["user"]
    ent = account["enterprise"]
    county = factories.staff_user(User.Role.COUNTY, "410184", username="county-e2e")
    year = datetime.date.today().year
    last = declaration_builders.complete(
        declaration_builders.draft(user, grade="B", year=year), user
    )
    lifecycle.declaration_submit(actor=user, declaration=last)
    lifecycle.declaration_start_review(actor=county, declaration=last)
    last = Declaration.objects.get(pk=last.pk)
    last.decide()
    last.save()
    Declaration.objects.filter(pk=last.pk).update(year=year - 1)
    grade_record_add(
        actor=None,
        enterprise=ent,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code="B"),
        effective_from=datetime.date(year - 1, 10, 1),
        source=GradeRecord.Source.REVIEW,
    )

    log_in(page, live_server)
    nav = page.get_by_role("navigation", name="主导航")
    click_and_wait(page, nav.get_by_role("link", name="我的分级结果", exact=True))
    assert "B级" in page.locator("#grades").inner_text()
    decided = page.locator("#decided")
    assert last.number in decided.inner_text()

    click_and_wait(page, decided.get_by_role("link", name=last.number))
    click_and_wait(page, page.get_by_role("link", name="以本申报为基础新建"))
    page.select_option('select[name="year"]', str(year))
    page.select_option('select[name="requested_grade"]', label="B级")
    click_and_wait(page, page.get_by_role("button", name="创建申报"))
    copy = Declaration.objects.get(year=year)
    assert page.url.rstrip("/").endswith(f"/declarations/{copy.pk}")
    assert copy.products.count() == 1 and copy.facilities.count() == last.facilities.count()

    page.check('#delete input[name="confirm"]')
    click_and_wait(page, page.get_by_role("button", name="删除草稿"))
    assert "草稿已删除" in page.locator(".messages").inner_text()
    assert not Declaration.objects.filter(pk=copy.pk).exists()
