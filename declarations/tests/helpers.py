"""Small helpers of the declarations service tests."""

from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType

from core.models import AuditEvent
from declarations.models import Declaration

SHANGHAI = ZoneInfo("Asia/Shanghai")


def messages(exc_info) -> str:
    """Every message of a raised ValidationError, joined, for `in` assertions."""
    return " ".join(exc_info.value.messages)


def evidence_files(declaration) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "evidence" / str(declaration.pk)
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.exists() else []


def events(declaration, code: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Declaration),
            object_id=str(declaration.pk),
            code=code,
        ).order_by("at", "id")
    )
