"""A crawler for tests that walk every page a visitor (or a role) can reach: it follows the
links of HTML pages and the paths in JSON answers, opens downloads (Excel and PDF) as text,
and keeps what each answered, so a test can look for what must never be there."""

import io
import json
import re
import subprocess
import tempfile
from collections import deque
from html import unescape
from urllib.parse import urljoin, urlsplit

from django.urls import resolve
from openpyxl import load_workbook

HREF = re.compile(r'(?:href|action)="([^"#]+)"')


def workbook_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            out.append("\t".join("" if v is None else str(v) for v in row))
    return "\n".join(out)


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(content)
        fh.flush()
        return subprocess.run(
            ["pdftotext", "-layout", fh.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def response_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if content.startswith(b"%PDF"):
        return pdf_text(content)
    if content.startswith(b"PK"):
        return workbook_text(content)
    if "json" in kind:
        return json.dumps(json.loads(content or b"null"), ensure_ascii=False)
    return content.decode("utf-8", errors="replace")


def _json_paths(value, out: list[str]) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _json_paths(v, out)
    elif isinstance(value, list):
        for v in value:
            _json_paths(v, out)
    elif isinstance(value, str) and (
        value.startswith("/") or value.startswith("http://testserver/")
    ):
        out.append(value)


def links(path: str, response, text: str) -> list[str]:
    found: list[str] = []
    if "json" in response.get("Content-Type", ""):
        _json_paths(json.loads(text or "null"), found)
    elif "html" in response.get("Content-Type", ""):
        found = [unescape(h) for h in HREF.findall(text)]
    out = []
    for link in found:
        url = urlsplit(urljoin(f"http://testserver{path}", link))
        if url.netloc in ("", "testserver"):
            out.append(url.path + (f"?{url.query}" if url.query else ""))
    return out


def crawl(
    get,
    starts: list[str],
    *,
    allow: tuple[str, ...],
    skip: tuple[str, ...] = (),
    limit: int = 600,
) -> dict[str, tuple[int, str]]:
    """Every GET-able path reachable from ``starts`` under the ``allow`` prefixes (and not
    under ``skip``): path → (status, text). ``get(path)`` answers a response."""
    seen: dict[str, tuple[int, str]] = {}
    queue = deque(starts)
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen or not path.startswith(allow) or path.startswith(skip):
            continue
        response = get(path)
        if response.status_code in (301, 302):
            seen[path] = (response.status_code, "")
            queue.append(response["Location"])
            continue
        text = response_text(response) if response.status_code == 200 else ""
        if response.status_code == 202:
            text = response.content.decode()
        seen[path] = (response.status_code, text)
        if response.status_code == 200:
            queue.extend(links(path, response, text))
    return seen


def view_names(paths) -> set[str]:
    names = set()
    for path in paths:
        match = resolve(urlsplit(path).path)
        names.add(f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name)
    return names
