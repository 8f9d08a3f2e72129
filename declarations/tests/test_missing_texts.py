"""Where an indicator's requirement text has not been entered, enterprises and reviewers see
one plain sentence saying so, never a placeholder string, and the declaration PDF says the
same (R-DECL-3, R-GRADE-7)."""

from pathlib import Path

import pytest
from django.urls import reverse

from declarations.models import DeclarationVersion
from declarations.services import lifecycle
from declarations.tests.api_support import BASE, client_for
from declarations.tests.test_package import page_text
from grading.indicator_texts import MISSING_TEXT
from tests import declaration_builders as builders

pytestmark = pytest.mark.django_db
PLACEHOLDER = "原文待补录"


def test_r_decl_3_missing_text_is_one_plain_sentence_on_page_api_and_pdf(
    enterprise_user, county_user, client, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # 包装印刷 C级: the seed has no original text for it (a placeholder).
    d = builders.complete(builders.draft(enterprise_user, grade="C"), enterprise_user)
    assert set(d.indicator_rows.values_list("requirement", flat=True)) == {""}

    client.force_login(enterprise_user)
    page = client.get(reverse("declarations:indicators", args=[d.pk])).content.decode()
    assert str(MISSING_TEXT) in page and PLACEHOLDER not in page

    body = client_for(enterprise_user).get(f"{BASE}{d.pk}/indicator-rows/").json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    assert rows[0]["requirement"] == str(MISSING_TEXT) and rows[0]["requirement_missing"]

    with django_capture_on_commit_callbacks(execute=True):
        version = lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    version = DeclarationVersion.objects.get(pk=version.pk)
    text = page_text(Path(version.package_file.path))
    assert "技术指南中本项指标的要求尚未录入平台" in text and PLACEHOLDER not in text

    # The reviewer opens the same page and the frozen version.
    client.force_login(county_user)
    page = client.get(reverse("declarations:indicators", args=[d.pk])).content.decode()
    assert str(MISSING_TEXT) in page and PLACEHOLDER not in page
    page = client.get(reverse("declarations:version", args=[d.pk, version.number])).content.decode()
    assert str(MISSING_TEXT) in page and PLACEHOLDER not in page


def test_r_decl_3_entered_text_is_shown_as_is(enterprise_user, client):
    d = builders.draft(enterprise_user, grade="A")
    row = d.indicator_rows.get(category__code="raw_materials")
    assert row.requirement.startswith("1、凹版印刷工艺")
    client.force_login(enterprise_user)
    page = client.get(reverse("declarations:indicators", args=[d.pk])).content.decode()
    assert "凹版印刷工艺" in page and PLACEHOLDER not in page
    # The other rows have no text in the seed: the sentence, once per row.
    assert page.count(str(MISSING_TEXT)) == d.indicator_rows.count() - 1
