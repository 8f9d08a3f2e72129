"""The QR code on each signboard and 一厂一策 plan (R-LIST-4, R-PUB-1): it links to a public page
(no login) of the enterprise's current grade and measures per alert level, with the version the
document shows. The link carries the entry's random public key and that version, never an
internal id; the page itself is publication's (``public:signboard``)."""

import secrets

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from emergency_list.models import ListEntry


def entry_public_key(entry: ListEntry) -> str:
    """The entry's public key, given once (a random 16-character token)."""
    if entry.public_key:
        return entry.public_key
    ListEntry.objects.filter(pk=entry.pk, public_key="").update(
        public_key=secrets.token_urlsafe(12)
    )
    entry.public_key = ListEntry.objects.values_list("public_key", flat=True).get(pk=entry.pk)
    return entry.public_key


def check_url(entry: ListEntry, revision: int) -> str:
    """The absolute address of the public check page of ``revision`` of the entry."""
    path = reverse("public:signboard", args=[entry_public_key(entry), revision])
    return settings.SITE_URL.rstrip("/") + path


def qr_svg(url: str, *, scale: int = 3) -> SafeString:
    """The QR code of ``url`` as inline SVG (segno; medium error correction so that a worn
    board still reads). Safe: made here from our own address, not from user text."""
    code = segno.make(url, error="m", micro=False)
    return mark_safe(code.svg_inline(scale=scale, border=2, dark="#000", light="#fff"))
