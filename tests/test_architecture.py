"""The shape of the code: lower stages never import upper ones, views and API modules never
decide permissions themselves, and no module grows past what one person holds in mind."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = {
    "core",
    "grading",
    "declarations",
    "review",
    "emergency_list",
    "publication",
    "demo",
    "config",
}

#: What each app may import of the project (besides itself). Tests are exempt: a rule that
#: reads another stage's result is tested through both stages.
ALLOWED = {
    "core": set(),
    "grading": {"core"},
    "declarations": {"core", "grading"},
    "review": {"core", "grading", "declarations"},
    "emergency_list": {"core", "grading", "declarations"},
    "publication": {"core", "grading", "declarations", "review", "emergency_list"},
}

MAX_MODULE_LINES = 600


def _sources(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "migrations" in parts or "tests" in parts:
            continue
        yield path


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & PROJECT_PACKAGES


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_lower_stages_never_import_upper_ones(app):
    allowed = ALLOWED[app] | {app}
    offending = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) - allowed)
        for path in _sources(app)
        if _imported_packages(path) - allowed
    }
    assert offending == {}, f"{app} may import only {sorted(allowed)}"


ROLE_COMPARISON = re.compile(r"\.role\s*(==|!=|\bin\b|\bnot in\b)|\brole\s*(==|!=)")


def _view_and_api_modules():
    for app in ALLOWED:
        base = ROOT / app
        for pattern in ("views.py", "api.py", "views/*.py", "api/*.py", "hooks.py"):
            yield from sorted(base.glob(pattern))


def test_views_and_api_never_compare_roles_themselves():
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _view_and_api_modules()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ROLE_COMPARISON.search(line)
    ]
    assert hits == [], "ask a rules.py predicate or a selector instead"


def test_templates_never_compare_roles():
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"user\.role\s*(==|!=)", line)
    ]
    assert hits == []


def test_no_module_past_its_size():
    big = {}
    for app in [*ALLOWED, "demo", "config", "tests", "bench"]:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                big[str(path.relative_to(ROOT))] = lines
    assert big == {}, "split these modules by what they hold"


def test_pages_have_no_inline_script_the_csp_would_block():
    """The Content-Security-Policy allows scripts only from static files (no inline code)."""
    web_templates = [
        p
        for p in sorted((ROOT / "templates").rglob("*.html"))
        # Documents rendered to PDF by the worker never reach a browser.
        if "<html" not in p.read_text(encoding="utf-8") or p.name == "base.html"
    ]
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in web_templates
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"<script(?![^>]*\bsrc=)|\son[a-z]+=\"", line)
    ]
    assert hits == []
