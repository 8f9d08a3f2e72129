"""R-DYN-1 across the list and the review chain: a measure not taken during an alert opens a
downgrade case from the enterprise's duty row on the alert page, at its county only."""

import html
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from emergency_list.tests.test_alerts import _worker_in_process, call, world  # noqa: F401
from review.models import DowngradeCase

pytestmark = pytest.mark.django_db


def _links(client: Client, alert) -> list[str]:
    page = client.get(f"/list/alerts/{alert.pk}/").content.decode()
    return [
        html.unescape(part.split('"', 1)[0])
        for part in page.split('href="')[1:]
        if part.startswith("/review/downgrades/?")
    ]


def test_r_dyn_1_an_alert_duty_row_opens_a_downgrade_case_at_the_county(
    world,  # noqa: F811
    province_user,
    county_user,
    city_user,
    other_county_user,
):
    alert = call(province_user, cities=("410100",))
    county = Client()
    county.force_login(county_user)
    links = _links(county, alert)
    graded = {world[k].enterprise for k in ("A", "B", "C", "D")}
    query = {parse_qs(urlparse(u).query)["enterprise_uscc"][0] for u in links}
    assert {e.uscc for e in graded} <= query
    # Only enterprises of the county's own jurisdiction (中牟's enterprise is another county's).
    assert world["zm_A"].enterprise.uscc not in query

    link = next(u for u in links if world["B"].enterprise.uscc in u)
    form = county.get(link).content.decode()
    assert '<option value="alert_measure" selected>' in form
    assert f"预警模拟第{alert.pk}号" in form
    fields = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    fields["detail"] += "现场检查发现红色预警期间仍全负荷生产。"
    response = county.post("/review/downgrades/", fields)
    assert response.status_code == 302, response.content.decode()
    case = DowngradeCase.objects.get()
    assert case.enterprise == world["B"].enterprise
    assert case.reasons == [DowngradeCase.Reason.ALERT_MEASURE]

    # The city reads the alert but opens no case; another county sees no link on this alert.
    city = Client()
    city.force_login(city_user)
    assert _links(city, alert) == []
    other = Client()
    other.force_login(other_county_user)
    assert all(world["B"].enterprise.uscc not in u for u in _links(other, alert))
