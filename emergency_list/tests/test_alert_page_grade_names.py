"""An alert's page names each enterprise's grade (Grade.name), never its internal code
(issue 10 item 7: the results showed NONADV, ADV)."""

import re

import pytest

from emergency_list.tests.test_alerts import _worker_in_process, call, listed  # noqa: F401

pytestmark = pytest.mark.django_db

#: A grade code alone in a table cell: what the page showed before.
BARE_GRADE_CELL = re.compile(r"<td>\s*(A\+|A|B-|B|C|D|LEAD|NONLEAD|ADV|NONADV)\s*</td>")


def test_alert_duties_show_grade_names(province_user, client):
    listed("410184", "NONADV", industry="GENERAL", name="新郑通用行业企业")
    listed("410184", "C", name="新郑乙C级企业")
    alert = call(province_user, cities=("410100",))
    client.force_login(province_user)

    page = client.get(f"/list/alerts/{alert.pk}/").content.decode()

    duties = page[page.index('id="duties"') :]
    assert "<td>未达绩效先进性指标</td>" in duties and "<td>C级</td>" in duties
    assert BARE_GRADE_CELL.findall(duties) == []
    assert not re.search(r"\bNONADV\b", re.sub(r"<[^>]+>", " ", page))
