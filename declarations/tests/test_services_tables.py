"""Declaration tables saved as a whole (R-DECL-2, R-DECL-4): every row kept unless marked for
removal, rows checked before anything is saved, an emptied table confirmed, one event that says
what changed."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from declarations.services import lifecycle, tables
from declarations.tests.helpers import events, messages
from tests import declaration_builders as builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_eager")]


def save(actor, declaration, table, rows, **kwargs) -> tables.TableSaved:
    return tables.declaration_table_save(
        actor=actor, declaration=declaration, table=table, rows=rows, **kwargs
    )


def ids(declaration, table) -> list[int]:
    return list(tables.table_rows(declaration, table).values_list("pk", flat=True))


def product(line, **over):
    return {
        "line": line,
        "product": "软包装",
        "capacity": Decimal(3000),
        "last_year_output": Decimal(2600),
        "unit": "吨",
        **over,
    }


def test_table_save_saves_all_rows_or_nothing(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    line = builders.ensure_lines(d.enterprise).line
    (saved,) = save(enterprise_user, d, "products", [product(line)]).rows
    with pytest.raises(ValidationError) as exc:
        save(
            enterprise_user,
            d,
            "products",
            [
                {"id": saved.pk, **product(line, product="纸箱")},
                product(line, capacity=Decimal(-1)),
            ],
        )
    errors = exc.value.message_dict
    assert list(errors) == ["第2行"]
    assert errors["第2行"][0].startswith("产能：")
    assert list(d.products.values_list("product", flat=True)) == ["软包装"]


def test_table_save_refuses_a_vin_with_i(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    vehicle = {"plate": "豫A12345", "engine_number": "E1", "emission_stage": "6"}
    with pytest.raises(ValidationError) as exc:
        tables.declaration_table_save(
            actor=enterprise_user,
            declaration=d,
            table="vehicles",
            rows=[{**vehicle, "vin": "LFV2A21K6D301234I"}],
        )
    assert exc.value.message_dict["第1行"] == [
        "车辆识别代号（VIN）：VIN应为17位字母或数字（不含I、O、Q）"
    ]
    with pytest.raises(ValidationError) as exc:
        tables.declaration_table_save(
            actor=enterprise_user,
            declaration=d,
            table="vehicles",
            rows=[{**vehicle, "vin": "LFV2A21K6D3012345"}] * 2,
        )
    assert "车辆识别代号（VIN）重复" in messages(exc)
    assert d.vehicles.count() == 0


def test_table_save_refuses_a_process_or_line_of_another_enterprise(
    enterprise_user, other_enterprise
):
    d = builders.draft(enterprise_user, grade="B")
    own = builders.ensure_lines(d.enterprise)
    foreign = builders.ensure_lines(other_enterprise)
    facility = {
        "kind": "vocs",
        "seq": 1,
        "technique": "RTO",
        "commissioned_on": datetime.date(2023, 5, 1),
        "running_status": "正常",
        "removal_efficiency": Decimal(95),
        "concentration": Decimal(18),
        "airflow": Decimal(40000),
    }
    with pytest.raises(ValidationError) as exc:
        tables.declaration_table_save(
            actor=enterprise_user,
            declaration=d,
            table="facilities",
            rows=[{**facility, "process": own}, {**facility, "seq": 2, "process": foreign}],
        )
    assert exc.value.message_dict == {"第2行": ["产污环节：产污环节不是本企业登记的工序"]}
    with pytest.raises(ValidationError) as exc:
        tables.declaration_table_save(
            actor=enterprise_user, declaration=d, table="products", rows=[product(foreign.line)]
        )
    assert exc.value.message_dict == {"第1行": ["生产线：生产线不属于本企业"]}
    assert d.facilities.count() == 0 and d.products.count() == 0


def test_table_save_refuses_an_unknown_table(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    with pytest.raises(ValidationError) as exc:
        tables.declaration_table_save(
            actor=enterprise_user, declaration=d, table="declaration", rows=[]
        )
    assert "未知的申报表格" in messages(exc)


# --- every row kept unless the user removes it (issue: rows lost on save) ------------------


@pytest.fixture
def draft_with_line(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    return d, builders.ensure_lines(d.enterprise).line


def as_sent(row) -> dict:
    """A saved products row as the page or the API sends it back unchanged."""
    return {
        "id": row.pk,
        "line": row.line,
        "product": row.product,
        "capacity": row.capacity,
        "last_year_output": row.last_year_output,
        "unit": row.unit,
    }


def test_saving_twice_unchanged_keeps_the_same_rows_and_records_nothing(
    enterprise_user, draft_with_line
):
    d, line = draft_with_line
    first = save(enterprise_user, d, "products", [product(line), product(line, product="纸箱")])
    assert (len(first.added), first.changed, first.removed) == (2, [], [])
    before = ids(d, "products")
    again = save(enterprise_user, d, "products", [as_sent(r) for r in first.rows])
    assert not again.anything_changed and again.summary() == "产品及产能没有修改"
    assert ids(d, "products") == before
    assert len(events(d, "declaration.table_saved")) == 1


def test_adding_a_row_keeps_the_rows_already_saved(enterprise_user, draft_with_line):
    d, line = draft_with_line
    (kept,) = save(enterprise_user, d, "products", [product(line)]).rows
    saved = save(enterprise_user, d, "products", [as_sent(kept), product(line, product="纸箱")])
    assert [r.product for r in saved.rows] == ["软包装", "纸箱"]
    assert saved.rows[0].pk == kept.pk
    assert (len(saved.added), saved.changed, saved.removed) == (1, [], [])
    event = events(d, "declaration.table_saved")[-1]
    assert event.summary == "保存产品及产能：新增1行，修改0行，删除0行（现共2行）"
    assert event.data["added"] == [saved.rows[1].pk] and event.data["rows"] == 2


def test_a_changed_row_keeps_its_id(enterprise_user, draft_with_line):
    d, line = draft_with_line
    (row,) = save(enterprise_user, d, "products", [product(line)]).rows
    saved = save(enterprise_user, d, "products", [{**as_sent(row), "capacity": Decimal(3500)}])
    assert saved.changed == [row.pk] and saved.rows[0].capacity == Decimal(3500)


def test_a_row_left_out_is_refused_not_removed(enterprise_user, draft_with_line):
    d, line = draft_with_line
    rows = save(enterprise_user, d, "products", [product(line), product(line, product="纸箱")])
    with pytest.raises(ValidationError) as exc:
        save(enterprise_user, d, "products", [as_sent(rows.rows[0])])
    assert "1行未包含在本次保存中" in messages(exc)
    assert len(ids(d, "products")) == 2


def test_a_row_is_removed_only_when_marked(enterprise_user, draft_with_line):
    d, line = draft_with_line
    a, b = save(enterprise_user, d, "products", [product(line), product(line, product="纸箱")]).rows
    saved = save(enterprise_user, d, "products", [as_sent(a), {"id": b.pk, "remove": True}])
    assert ids(d, "products") == [a.pk] and saved.removed == [b.pk]
    assert events(d, "declaration.table_saved")[-1].data["removed"] == [b.pk]
    # A new row marked for removal is simply not added.
    saved = save(enterprise_user, d, "products", [as_sent(a), {**product(line), "remove": True}])
    assert not saved.anything_changed and ids(d, "products") == [a.pk]


def test_emptying_a_table_needs_confirmation(enterprise_user, draft_with_line):
    d, line = draft_with_line
    (row,) = save(enterprise_user, d, "products", [product(line)]).rows
    with pytest.raises(tables.EmptyTableUnconfirmed) as exc:
        save(enterprise_user, d, "products", [{"id": row.pk, "remove": True}])
    assert exc.value.table == "products"
    assert "将没有任何行" in exc.value.message_dict["confirm_empty"][0]
    assert ids(d, "products") == [row.pk]
    saved = save(
        enterprise_user, d, "products", [{"id": row.pk, "remove": True}], confirm_empty=True
    )
    assert saved.rows == [] and saved.removed == [row.pk]
    # An empty table saved empty changes nothing and asks nothing.
    assert not save(enterprise_user, d, "products", []).anything_changed


def test_a_row_of_another_declaration_cannot_be_named(enterprise_user, draft_with_line):
    d, line = draft_with_line
    other = builders.draft(enterprise_user, grade="B", year=d.year + 1)
    (foreign,) = save(enterprise_user, other, "products", [product(line)]).rows
    with pytest.raises(ValidationError) as exc:
        save(enterprise_user, d, "products", [as_sent(foreign)])
    assert exc.value.message_dict["第1行"] == [
        "该行不在本表格中（可能已被删除），请重新打开后再保存"
    ]
    assert ids(other, "products") == [foreign.pk] and ids(d, "products") == []


def test_two_vehicles_may_swap_their_vins(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    a = {
        "plate": "豫A00001",
        "vin": "LFV2A21K6D3000001",
        "engine_number": "E1",
        "emission_stage": "6",
    }
    b = {**a, "plate": "豫A00002", "vin": "LFV2A21K6D3000002"}
    one, two = save(enterprise_user, d, "vehicles", [a, b]).rows
    saved = save(
        enterprise_user,
        d,
        "vehicles",
        [{**a, "id": one.pk, "vin": b["vin"]}, {**b, "id": two.pk, "vin": a["vin"]}],
    )
    assert {r.pk: r.vin for r in saved.rows} == {one.pk: b["vin"], two.pk: a["vin"]}


def test_only_the_owner_saves_and_only_while_editable(
    enterprise_user, other_user, county_user, draft_with_line
):
    d, line = draft_with_line
    for actor in (other_user, county_user):
        with pytest.raises(PermissionDenied):
            save(actor, d, "products", [product(line)])
    complete = builders.complete(d, enterprise_user)
    lifecycle.declaration_submit(actor=enterprise_user, declaration=complete)
    with pytest.raises(ValidationError) as exc:
        save(enterprise_user, complete, "products", [])
    assert "不能修改" in messages(exc)


def test_facility_dates_and_processes_are_compared_by_value(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    process = builders.ensure_lines(d.enterprise)
    facility = {
        "kind": "vocs",
        "seq": 1,
        "process": process,
        "technique": "RTO",
        "commissioned_on": datetime.date(2023, 5, 1),
        "running_status": "正常",
        "removal_efficiency": Decimal("95.00"),
        "concentration": Decimal("18.500"),
        "airflow": Decimal("40000.0"),
    }
    (row,) = save(enterprise_user, d, "facilities", [facility]).rows
    # The same values sent as the API sends them (ids, decimals without trailing zeros).
    sent = {**facility, "id": row.pk, "process": process.pk, "removal_efficiency": Decimal(95)}
    assert not save(enterprise_user, d, "facilities", [sent]).anything_changed
