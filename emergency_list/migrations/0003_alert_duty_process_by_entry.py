import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def key_by_alert_and_entry(apps, schema_editor):
    AlertDuty = apps.get_model("emergency_list", "AlertDuty")
    AlertDutyProcess = apps.get_model("emergency_list", "AlertDutyProcess")
    duty = AlertDuty.objects.filter(pk=OuterRef("duty_id"))
    AlertDutyProcess.objects.update(
        alert_id=Subquery(duty.values("alert_id")[:1]),
        entry_id=Subquery(duty.values("entry_id")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("emergency_list", "0002_alert_job_and_duty_rows"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="alertdutyprocess", name="alert_duty_process"),
        migrations.AddField(
            model_name="alertdutyprocess",
            name="alert",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="duty_processes",
                to="emergency_list.alert",
            ),
        ),
        migrations.AddField(
            model_name="alertdutyprocess",
            name="entry_id",
            field=models.PositiveIntegerField(null=True, verbose_name="清单企业"),
        ),
        migrations.RunPython(key_by_alert_and_entry, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="alertdutyprocess",
            name="alert",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="duty_processes",
                to="emergency_list.alert",
            ),
        ),
        migrations.AlterField(
            model_name="alertdutyprocess",
            name="entry_id",
            field=models.PositiveIntegerField(verbose_name="清单企业"),
        ),
        migrations.RemoveField(model_name="alertdutyprocess", name="duty"),
        migrations.AlterModelOptions(
            name="alertdutyprocess",
            options={
                "ordering": ["alert", "entry_id", "entry_process_id"],
                "verbose_name": "预警工序措施",
                "verbose_name_plural": "预警工序措施",
            },
        ),
        migrations.AddIndex(
            model_name="alertdutyprocess",
            index=models.Index(
                fields=["alert", "entry_id", "entry_process_id"], name="alert_duty_entry_process"
            ),
        ),
    ]
