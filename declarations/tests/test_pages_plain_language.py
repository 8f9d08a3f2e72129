"""Pages speak the user's language (issue 10 item 7): the check issues of a declaration read
as plain Chinese, without the rule codes the API keeps next to them."""

import re

import pytest
from django.test import Client

from declarations.tests.api_support import BASE, client_for
from tests.declaration_builders import draft

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

RULE_CODE = re.compile(r"R-[A-Z]+-\d+")


def test_submit_page_with_issues_shows_the_messages_without_rule_codes(enterprise_user):
    declaration = draft(enterprise_user)
    client = Client()
    client.force_login(enterprise_user)
    url = f"/declarations/{declaration.pk}/submit/"

    shown = client.get(url).content.decode()
    refused = client.post(url, {"rectification": ""}).content.decode()

    for page in (shown, refused):
        assert 'class="errorlist nonfield check-issues"' in page
        assert "申请表未填写" in page
        assert RULE_CODE.findall(page) == []
    assert "暂不能提交" in refused


def test_the_api_keeps_the_rule_code_beside_a_plain_message(enterprise_user):
    declaration = draft(enterprise_user)
    response = client_for(enterprise_user).post(f"{BASE}{declaration.pk}/submit/", format="json")
    assert response.status_code == 400
    issues = response.json()["issues"]
    assert issues and all(RULE_CODE.fullmatch(i["rule"]) for i in issues)
    assert not any(RULE_CODE.search(i["message"]) for i in issues)
