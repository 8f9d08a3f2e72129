"""The tables and lines pages: each table is edited as a whole in a formset, the rows shown
are the rows saved, removing a row is explicit, emptying a table is confirmed; production
lines, processes and equipment are edited in place."""

from decimal import Decimal

import pytest
from django.urls import reverse

from declarations.services import tables
from declarations.tests.helpers import events
from grading.models import Equipment, Process, ProductionLine
from tests import declaration_builders as builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def declaration(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    builders.ensure_lines(d.enterprise)
    return d


@pytest.fixture
def signed_in(client, enterprise_user):
    client.force_login(enterprise_user)
    return client


def as_browser_sends(response, **changes) -> dict:
    """What the browser posts for the page as shown, with ``changes`` (name → value; None
    leaves a box unticked)."""
    data = {}
    for t in response.context["tables"]:
        formset = t["formset"]
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for form in formset:
            for name in form.fields:
                value = form[name].value()
                if name == "DELETE" or value is None:
                    continue
                data[form.add_prefix(name)] = value if not hasattr(value, "pk") else value.pk
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def product_row(line, prefix: str = "products-0") -> dict:
    return {
        f"{prefix}-line": line.pk,
        f"{prefix}-product": "软包装",
        f"{prefix}-capacity": "3000",
        f"{prefix}-last_year_output": "2600",
        f"{prefix}-unit": "吨",
    }


def test_a_saved_row_stays_when_a_blank_row_is_filled_and_when_nothing_changes(
    signed_in, declaration
):
    url = reverse("declarations:tables", args=[declaration.pk, "production"])
    line = declaration.enterprise.lines.get()
    shown = signed_in.get(url)
    response = signed_in.post(url, as_browser_sends(shown, **product_row(line)))
    assert response.status_code == 302, response.context and response.context["tables"]
    (first,) = tables.table_rows(declaration, "products")

    shown = signed_in.get(url)
    assert shown.context["tables"][0]["formset"].initial_form_count() == 1
    assert "删除此行" in shown.content.decode()
    filled = as_browser_sends(
        shown, **{**product_row(line, "products-1"), "products-1-product": "纸箱"}
    )
    response = signed_in.post(url, filled, follow=True)
    assert "新增1行，修改0行，删除0行（现共2行）" in response.content.decode()
    assert [(r.pk, r.product) for r in tables.table_rows(declaration, "products")][0] == (
        first.pk,
        "软包装",
    )
    assert tables.table_rows(declaration, "products").count() == 2

    response = signed_in.post(url, as_browser_sends(signed_in.get(url)), follow=True)
    assert "产品及产能没有修改" in response.content.decode()
    assert tables.table_rows(declaration, "products").count() == 2
    assert len(events(declaration, "declaration.table_saved")) == 2


def test_removing_every_row_asks_for_confirmation(signed_in, declaration):
    url = reverse("declarations:tables", args=[declaration.pk, "materials"])
    tables.declaration_table_save(
        actor=declaration.enterprise.users.get(),
        declaration=declaration,
        table="materials",
        rows=[{"kind": "raw", "name": "水性油墨", "annual_amount": Decimal(120), "unit": "吨"}],
    )
    ticked = as_browser_sends(signed_in.get(url), **{"materials-0-DELETE": "on"})
    response = signed_in.post(url, ticked)
    assert response.status_code == 200
    body = response.content.decode()
    assert "将没有任何行" in body and 'name="materials-confirm-confirm_empty"' in body
    assert tables.table_rows(declaration, "materials").count() == 1

    response = signed_in.post(url, {**ticked, "materials-confirm-confirm_empty": "on"})
    assert response.status_code == 302
    assert not tables.table_rows(declaration, "materials").exists()


def test_a_step_with_two_tables_saves_both_or_neither(signed_in, declaration):
    url = reverse("declarations:tables", args=[declaration.pk, "transport"])
    vehicle = {
        "vehicles-0-plate": "豫A12345",
        "vehicles-0-vin": "LFV2A21K6D3012345",
        "vehicles-0-engine_number": "E1",
        "vehicles-0-emission_stage": "6",
    }
    data = as_browser_sends(
        signed_in.get(url),
        **{"transport-0-mode": "cn6_road", "transport-0-goods": "薄膜"},
        **{"transport-0-annual_tonnes": "3000"},
        **vehicle,
        **{k.replace("-0-", "-1-"): v for k, v in vehicle.items()},
    )
    response = signed_in.post(url, data)
    assert response.status_code == 200
    assert "车辆识别代号（VIN）重复" in response.content.decode()
    assert not declaration.transport.exists() and not declaration.vehicles.exists()


def test_the_county_cannot_open_the_tables(client, county_user, declaration, enterprise_user):
    client.force_login(county_user)
    url = reverse("declarations:tables", args=[declaration.pk, "production"])
    assert client.get(url).status_code == 404  # a draft is out of the county's sight


# --- lines ---------------------------------------------------------------------------------


def test_a_line_its_process_and_equipment_are_edited_in_place(signed_in, declaration):
    url = reverse("declarations:lines", args=[declaration.pk])
    line = declaration.enterprise.lines.get()
    process = line.processes.get()
    equipment = process.equipment.get()
    body = signed_in.get(url).content.decode()
    assert f'name="line-{line.pk}-name"' in body and "保存生产线" in body

    response = signed_in.post(
        url,
        {
            "action": "save_line",
            "target": line.pk,
            f"line-{line.pk}-name": "1号凹印线",
            f"line-{line.pk}-products": "软包装",
            f"line-{line.pk}-design_capacity": "3200",
            f"line-{line.pk}-capacity_unit": "吨/年",
            f"line-{line.pk}-status": "running",
        },
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.name, line.design_capacity) == ("1号凹印线", Decimal(3200))

    signed_in.post(
        url,
        {
            "action": "save_process",
            "target": process.pk,
            f"process-{process.pk}-name": "凹版印刷（含烘干）",
        },
    )
    process.refresh_from_db()
    assert process.name == "凹版印刷（含烘干）" and process.is_air_emitting is False

    signed_in.post(
        url,
        {
            "action": "save_equipment",
            "target": equipment.pk,
            f"equipment-{equipment.pk}-name": "凹版印刷机",
            f"equipment-{equipment.pk}-quantity": "3",
        },
    )
    assert Equipment.objects.get(pk=equipment.pk).quantity == 3

    signed_in.post(
        url,
        {"action": "save_process", "parent": line.pk, f"new-process-{line.pk}-name": "复合"},
    )
    assert list(line.processes.values_list("name", flat=True)) == ["凹版印刷（含烘干）", "复合"]


def test_an_invalid_line_comes_back_with_what_was_typed(signed_in, declaration):
    url = reverse("declarations:lines", args=[declaration.pk])
    response = signed_in.post(
        url,
        {"action": "save_line", "new-line-name": "", "new-line-products": "纸箱"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "未保存" in body and 'value="纸箱"' in body
    assert ProductionLine.objects.filter(enterprise=declaration.enterprise).count() == 1


def test_a_line_referred_to_cannot_be_removed(signed_in, declaration, enterprise_user):
    builders.complete(declaration, enterprise_user)
    line = declaration.enterprise.lines.get()
    url = reverse("declarations:lines", args=[declaration.pk])
    response = signed_in.post(url, {"action": "remove_line", "target": line.pk})
    assert response.status_code == 200
    assert "已被申报材料或应急减排清单引用，不能删除" in response.content.decode()
    assert Process.objects.filter(line=line).exists()


def test_another_enterprises_line_is_not_found(signed_in, declaration, other_enterprise):
    foreign = builders.ensure_lines(other_enterprise).line
    url = reverse("declarations:lines", args=[declaration.pk])
    assert signed_in.post(url, {"action": "remove_line", "target": foreign.pk}).status_code == 404
    assert ProductionLine.objects.filter(pk=foreign.pk).exists()
