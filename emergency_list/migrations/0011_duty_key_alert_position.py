"""An alert's duties keyed by (alert, position), the order they are read in: one index to
write per duty instead of three (the surrogate key, the unique (alert, position) and the
(alert, county, position) index; a county reads its range of positions). The rows are copied
into the rebuilt table, so no past alert loses its duties."""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = (
    "alert_id, position, county_id, entry_id, revision, enterprise_id, name, city_name, "
    "county_name, county_code, grade_code, grade_name, is_power_plant, is_heating_boiler, "
    "is_small_micro, is_guarantee, guarantee_scope, bulk_transport, exempt"
)


class Migration(migrations.Migration):
    dependencies = [
        ("emergency_list", "0010_duty_rows_without_key_checks"),
        ("grading", "0008_enterprise_list_order_index"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="alertduty", name="uniq_alert_duty_position"),
        migrations.RemoveIndex(model_name="alertduty", name="alert_duty_county"),
        migrations.RenameModel("AlertDuty", "AlertDutyBefore"),
        migrations.AlterField(
            model_name="alertdutybefore",
            name="alert",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="emergency_list.alert",
            ),
        ),
        migrations.CreateModel(
            name="AlertDuty",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "alert",
                        "position",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "alert",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="duties",
                        to="emergency_list.alert",
                    ),
                ),
                ("position", models.PositiveIntegerField()),
                (
                    "county",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="grading.region",
                        verbose_name="县（市、区）",
                    ),
                ),
                ("entry_id", models.PositiveIntegerField(verbose_name="清单企业")),
                ("revision", models.PositiveIntegerField(verbose_name="修订次数")),
                ("enterprise_id", models.PositiveIntegerField(verbose_name="企业")),
                ("name", models.CharField(max_length=200, verbose_name="企业名称")),
                ("city_name", models.CharField(max_length=50, verbose_name="省辖市")),
                ("county_name", models.CharField(max_length=50, verbose_name="县（市、区）")),
                ("county_code", models.CharField(max_length=12, verbose_name="区划代码")),
                ("grade_code", models.CharField(max_length=20, verbose_name="绩效等级")),
                ("grade_name", models.CharField(max_length=50, verbose_name="绩效等级名称")),
                ("is_power_plant", models.BooleanField(verbose_name="电厂")),
                ("is_heating_boiler", models.BooleanField(verbose_name="供暖锅炉")),
                ("is_small_micro", models.BooleanField(verbose_name="小微涉气企业")),
                ("is_guarantee", models.BooleanField(verbose_name="保障类")),
                (
                    "guarantee_scope",
                    models.CharField(blank=True, max_length=300, verbose_name="保障任务范围"),
                ),
                ("bulk_transport", models.BooleanField(verbose_name="大宗物料运输")),
                ("exempt", models.CharField(blank=True, max_length=15, verbose_name="豁免类别")),
            ],
            options={
                "verbose_name": "预警企业责任",
                "verbose_name_plural": "预警企业责任",
                "db_table": "emergency_list_alert_duty",
                "ordering": ["alert", "position"],
            },
        ),
        migrations.RunSQL(
            f"INSERT INTO emergency_list_alert_duty ({COLUMNS}) "
            f"SELECT {COLUMNS} FROM emergency_list_alertdutybefore",
            reverse_sql=(
                f"INSERT INTO emergency_list_alertdutybefore ({COLUMNS}) "
                f"SELECT {COLUMNS} FROM emergency_list_alert_duty"
            ),
        ),
        migrations.DeleteModel("AlertDutyBefore"),
    ]
