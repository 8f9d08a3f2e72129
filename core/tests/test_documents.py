"""Document rendering fetches only the project's static files and the files a caller hands
over; user text in a template is escaped, never laid out as markup."""

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from weasyprint import HTML

from core import documents
from core.documents import RestrictedURLFetcher, render_pdf, static_base_url, static_roots
from core.tests.test_uploads import make_png

STATIC_CSS = Path(settings.BASE_DIR) / "static" / "pdf" / "document.css"
HOSTILE = "<img src='http://example.com/x.png'>"


def refused(fetcher: RestrictedURLFetcher, url: str) -> None:
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch(url)
    assert fetcher.refused[-1] == url


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", "", out)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/style.css",
        "ftp://example.com/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
    ],
)
def test_fetcher_refuses_the_network_and_the_system(url):
    refused(RestrictedURLFetcher(), url)


def test_fetcher_refuses_a_file_outside_the_static_folders(tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body{}")
    fetcher = RestrictedURLFetcher()
    refused(fetcher, secret.as_uri())
    refused(fetcher, (Path(settings.BASE_DIR) / "config" / "settings.py").as_uri())
    # A path that climbs out of a static folder is judged where it really leads.
    refused(fetcher, static_base_url() + "../config/settings.py")
    refused(fetcher, static_base_url() + "pdf/missing.css")


def test_fetcher_refuses_a_symlink_out_of_the_static_folder(settings, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "passwd.css").symlink_to("/etc/passwd")
    settings.STATICFILES_DIRS = [static]
    refused(RestrictedURLFetcher(), (static / "passwd.css").as_uri())


def test_fetcher_refuses_an_attached_key_not_handed_over(tmp_path):
    png = tmp_path / "a.png"
    png.write_bytes(make_png())
    fetcher = RestrictedURLFetcher({"ev1": png})
    refused(fetcher, "attached:ev2")
    refused(fetcher, f"attached:{png}")


def test_fetcher_serves_a_project_static_file():
    fetcher = RestrictedURLFetcher()
    assert STATIC_CSS.resolve().parent.parent in static_roots()
    response = fetcher.fetch(static_base_url() + "pdf/document.css")
    assert response.read() == STATIC_CSS.read_bytes()
    assert response.content_type == "text/css"
    assert fetcher.refused == []


def test_fetcher_serves_a_static_file_whose_path_needs_quoting(settings, tmp_path):
    static = tmp_path / "静态 文件"
    (static / "pdf").mkdir(parents=True)
    (static / "pdf" / "印章 样式.css").write_text("p{color:red}", encoding="utf-8")
    settings.STATICFILES_DIRS = [static]
    url = (static / "pdf" / "印章 样式.css").as_uri()
    assert "%20" in url
    response = RestrictedURLFetcher().fetch(url)
    assert response.read() == b"p{color:red}"


def test_fetcher_serves_an_attached_file(tmp_path):
    png = tmp_path / "evidence.png"
    png.write_bytes(make_png())
    fetcher = RestrictedURLFetcher({"ev7": png})
    response = fetcher.fetch("attached:ev7")
    assert response.read() == make_png()
    assert response.content_type == "image/png"
    assert fetcher.refused == []


def test_weasyprint_lays_out_static_css_and_attached_images_through_the_fetcher(tmp_path):
    png = tmp_path / "evidence.png"
    png.write_bytes(make_png())
    fetcher = RestrictedURLFetcher({"ev7": png})
    html = (
        '<html lang="zh-CN"><head><link rel="stylesheet" href="pdf/document.css"></head>'
        '<body><p>证明材料</p><img src="attached:ev7">'
        '<img src="http://example.com/x.png"></body></html>'
    )
    pdf = HTML(string=html, base_url=static_base_url(), url_fetcher=fetcher).write_pdf()
    assert fetcher.refused == ["http://example.com/x.png"]
    assert "证明材料" in pdf_text(pdf, tmp_path)


@pytest.fixture
def fetchers(monkeypatch):
    """Every fetcher render_pdf creates, to see what it was asked for."""
    made: list[RestrictedURLFetcher] = []

    class Recording(RestrictedURLFetcher):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(documents, "RestrictedURLFetcher", Recording)
    return made


@pytest.fixture
def template_dir(settings, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [folder]}]
    return folder


def test_user_text_in_a_template_is_escaped(tmp_path, template_dir, fetchers):
    (template_dir / "note.html").write_text(
        '<html lang="zh-CN"><head><link rel="stylesheet" href="pdf/document.css"></head>'
        "<body><p>企业说明：{{ text }}</p></body></html>",
        encoding="utf-8",
    )
    pdf = render_pdf(template="note.html", context={"text": HOSTILE})
    text = pdf_text(pdf, tmp_path)
    assert "企业说明：<imgsrc='http://example.com/x.png'>" in text
    (fetcher,) = fetchers
    assert fetcher.refused == []


def test_unescaped_markup_would_be_fetched_and_is_refused(tmp_path, fetchers):
    """The control for the test above: the same text as markup reaches the fetcher."""
    template = engines["django"].from_string(
        '<html lang="zh-CN"><body><p>{{ text }}</p><p>{{ text|safe }}</p></body></html>'
    )
    fetcher = RestrictedURLFetcher()
    html = template.render({"text": HOSTILE})
    pdf = HTML(string=html, base_url=static_base_url(), url_fetcher=fetcher).write_pdf()
    assert fetcher.refused == ["http://example.com/x.png"]
    assert pdf_text(pdf, tmp_path).count("<img") == 1
