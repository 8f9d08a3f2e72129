"""The declaration's tables (products, materials, transport, vehicles, facilities): read one,
or save it as a whole through the same service as the page."""

from collections.abc import Mapping

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api.inputs import RejectUnknownFieldsMixin
from declarations.models import (
    MaterialUse,
    ProductCapacity,
    TransportVolume,
    TreatmentFacility,
    Vehicle,
)
from declarations.services.tables import (
    ROW_ID,
    ROW_REMOVE,
    TABLE_FIELDS,
    TABLES,
    declaration_table_save,
    table_rows,
)


class TableRowSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    """A row as read, and as sent back: ``id`` names a saved row (none: a new row), ``remove``
    true removes it (then nothing else is needed)."""

    id = serializers.IntegerField(required=False, help_text="已保存行的 id；新增行不填")
    remove = serializers.BooleanField(
        required=False, default=False, write_only=True, help_text="为 true 时删除此行"
    )

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and data.get(ROW_REMOVE) is True:
            if data.get(ROW_ID) is None:
                raise serializers.ValidationError({ROW_ID: ["删除行须给出该行的 id"]})
            return {ROW_ID: self.fields[ROW_ID].to_internal_value(data[ROW_ID]), ROW_REMOVE: True}
        return super().to_internal_value(data)


class ProductCapacitySerializer(TableRowSerializer):
    line = serializers.IntegerField(source="line_id", help_text="本企业生产线的 id")
    line_name = serializers.CharField(source="line.name", read_only=True)

    class Meta:
        model = ProductCapacity
        fields = ["id", "line", "line_name", "product", "capacity", "last_year_output", "unit"]
        fields += ["remove"]


class MaterialUseSerializer(TableRowSerializer):
    class Meta:
        model = MaterialUse
        fields = ["id", *TABLE_FIELDS["materials"], "remove"]


class TransportVolumeSerializer(TableRowSerializer):
    class Meta:
        model = TransportVolume
        fields = ["id", *TABLE_FIELDS["transport"], "remove"]


class VehicleSerializer(TableRowSerializer):
    class Meta:
        model = Vehicle
        fields = ["id", *TABLE_FIELDS["vehicles"], "remove"]


class TreatmentFacilitySerializer(TableRowSerializer):
    process = serializers.IntegerField(source="process_id", help_text="本企业登记的工序 id")
    process_name = serializers.CharField(source="process.name", read_only=True)

    class Meta:
        model = TreatmentFacility
        fields = ["id", "kind", "seq", "process", "process_name", "technique", "commissioned_on"]
        fields += ["running_status", "removal_efficiency", "concentration", "airflow", "remove"]


TABLE_SERIALIZERS: dict[str, type[TableRowSerializer]] = {
    "products": ProductCapacitySerializer,
    "materials": MaterialUseSerializer,
    "transport": TransportVolumeSerializer,
    "vehicles": VehicleSerializer,
    "facilities": TreatmentFacilitySerializer,
}
assert set(TABLE_SERIALIZERS) == set(TABLES)


class TableSaveParamsSerializer(serializers.Serializer):
    confirm_empty = serializers.BooleanField(
        required=False, default=False, help_text="保存后表格为空时须为 true（确认清空）"
    )


TABLE_PATTERN = "|".join(TABLES)
TABLE_PARAM = OpenApiParameter(
    "table", str, OpenApiParameter.PATH, enum=list(TABLES), description="申报表格"
)
CONFIRM_PARAM = OpenApiParameter(
    "confirm_empty", bool, description="保存后表格将没有任何行时，须为 true 以确认清空"
)
ROWS = serializers.ListSerializer(child=serializers.DictField())


def _service_row(row: dict) -> dict:
    """The serializer's row in the service's terms (``line_id`` → ``line`` ...)."""
    return {
        k.removesuffix("_id") if k in ("line_id", "process_id") else k: v for k, v in row.items()
    }


class TablesMixin:
    """``tables/<table>/``: GET the rows, PUT them back as a whole."""

    @extend_schema(parameters=[TABLE_PARAM], responses={200: ROWS})
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"tables/(?P<table>{TABLE_PATTERN})",
        pagination_class=None,
    )
    def tables(self, request, pk=None, table=None):
        """The rows of one table; the row shape is that of the PUT body."""
        declaration = self.get_object()
        return Response(TABLE_SERIALIZERS[table](table_rows(declaration, table), many=True).data)

    @extend_schema(
        parameters=[TABLE_PARAM, CONFIRM_PARAM],
        request=ROWS,
        responses={200: ROWS},
        description=(
            "整表保存：列出表格的每一行。已保存的行带 id（原样提交即保持不变，"
            '加 "remove": true 即删除），新增行不带 id；未列出的已保存行不会被删除，'
            "而是整表拒绝保存。保存后表格为空须加 ?confirm_empty=true。各表行字段："
            "products(line, product, capacity, last_year_output, unit)；"
            "materials(kind, name, annual_amount, unit, storage_transport)；"
            "transport(mode, goods, annual_tonnes)；"
            "vehicles(plate, vin, engine_number, emission_stage)；"
            "facilities(kind, seq, process, technique, commissioned_on, running_status, "
            "removal_efficiency, concentration, airflow)。line、process 为本企业生产线、工序的 id。"
        ),
    )
    @tables.mapping.put
    def tables_save(self, request, pk=None, table=None):
        declaration = self.get_object()
        params = TableSaveParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        serializer = TABLE_SERIALIZERS[table](data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        saved = declaration_table_save(
            actor=request.user,
            declaration=declaration,
            table=table,
            rows=[_service_row(row) for row in serializer.validated_data],
            confirm_empty=params.validated_data["confirm_empty"],
        )
        return Response(TABLE_SERIALIZERS[table](saved.rows, many=True).data)
