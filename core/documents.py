"""PDF rendering for approval forms, declaration packages and plans (WeasyPrint).

Rendering fetches nothing from the network or the disk beyond the project's own static files
and the files a caller hands over explicitly (evidence images, by an opaque key; stored files
are read through the storage API, so object storage works as the local folder does). Templates are
Django templates with autoescaping: user text is escaped, never raw HTML. Fonts come from the
system (Debian's fonts-noto-cjk) through fontconfig; stylesheets name "Noto Sans CJK SC" on
``html`` so margin boxes inherit it.

A worker renders many documents: fontconfig's font list and Pango's font map are loaded once
per process and thread (``font_config``), not once per document; the documents declare no
``@font-face``, so every document sees the same fonts and its PDF is byte for byte the same.
"""

import io
import mimetypes
import os
import ssl
import threading
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.core.files import File
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

FILE_SCHEME = "attached:"
#: The fetcher opens no network URL, so it needs no certificate store; without a context of
#: its own WeasyPrint's fetcher loads the system's for every document.
_NO_NETWORK_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
_per_thread = threading.local()
#: What a caller may hand over: a path on disk or a stored file (``FieldFile``, any storage).
Attachment = Path | str | File


class RestrictedURLFetcher(URLFetcher):
    """Serves project static files and explicitly attached files; refuses everything else."""

    def __init__(self, attached: dict[str, "Attachment"] | None = None) -> None:
        super().__init__(
            allowed_protocols={"file", "attached"},
            allow_redirects=False,
            ssl_context=_NO_NETWORK_TLS,
        )
        self.attached = attached or {}
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if url.startswith(FILE_SCHEME):
            item = self.attached.get(url.removeprefix(FILE_SCHEME))
            if item is None:
                return self._refuse(url)
            if isinstance(item, (str, Path)):
                return self._respond(url, Path(item))
            # A stored file (a FieldFile): read through the storage API, wherever it lives.
            with item.open("rb") as fh:
                data = fh.read()
            mime = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, data, {"Content-Type": mime})
        if url.startswith("file:"):
            # A URL, not a path: static_base_url() and WeasyPrint percent-encode it.
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            for root in static_roots():
                if path.is_relative_to(root) and path.is_file():
                    return self._respond(url, path)
        return self._refuse(url)

    def _respond(self, url: str, path: Path) -> URLFetcherResponse:
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    def _refuse(self, url: str) -> URLFetcherResponse:
        self.refused.append(url)
        raise ValueError(f"refused: {url}")


def static_roots() -> list[Path]:
    """The project's own static folders: the only place on disk a document may read from."""
    return [Path(d).resolve() for d in settings.STATICFILES_DIRS]


def static_base_url() -> str:
    return (Path(settings.STATICFILES_DIRS[0]).resolve().as_uri()) + "/"


def font_config() -> FontConfiguration:
    """This process's and thread's font configuration, made on first use (a forked worker
    child makes its own: Pango's objects are not shared across processes or threads)."""
    pid = os.getpid()
    if getattr(_per_thread, "pid", None) != pid:
        _per_thread.pid, _per_thread.config = pid, FontConfiguration()
    return _per_thread.config


def render_document(*, template: str, context: dict, attached: dict[str, Attachment] | None = None):
    """Lay out ``template`` and return WeasyPrint's Document (pages known, not yet written)."""
    html = render_to_string(template, context)
    fetcher = RestrictedURLFetcher(attached)
    document = HTML(string=html, base_url=static_base_url(), url_fetcher=fetcher)
    return document.render(font_config=font_config())


def render_pdf(
    *, template: str, context: dict, attached: dict[str, Attachment] | None = None
) -> bytes:
    out = io.BytesIO()
    render_document(template=template, context=context, attached=attached).write_pdf(out)
    return out.getvalue()
