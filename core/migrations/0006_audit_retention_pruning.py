"""The append-only trigger lets one thing through: the retention task deleting rows older than
the retention period, which is never shorter than 180 days (等保三级) whatever it is told."""

from django.db import migrations

PRUNABLE_SQL = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
DECLARE
    keep_days integer;
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('jixiao.audit_prune', true) = 'on' THEN
        keep_days := greatest(
            180, coalesce(nullif(current_setting('jixiao.audit_retention_days', true), ''), '180')::integer
        );
        IF OLD.at < now() - make_interval(days => keep_days) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'core_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

STRICT_SQL = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'core_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _prunable(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PRUNABLE_SQL, params=None)


def _strict(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STRICT_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_notification_emailed_at")]

    operations = [migrations.RunPython(_prunable, _strict)]
