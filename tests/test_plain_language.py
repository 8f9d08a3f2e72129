"""No rule code reaches what users read (issue 10 item 7): not the text of any template
(pages, PDFs, e-mails), nor any message of the catalogue (gettext messages, form and API
errors, Excel reports). Codes stay in code, docstrings, audit data and the API's ``rule``."""

import re
from pathlib import Path

from django.conf import settings

RULE_CODE = re.compile(r"R-[A-Z]+-\d+")
COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}|<!--.*?-->", re.S)


def test_no_template_shows_a_rule_code():
    root = Path(settings.BASE_DIR) / "templates"
    found = [
        f"{path.relative_to(root)}: {code}"
        for path in sorted(root.rglob("*.html")) + sorted(root.rglob("*.txt"))
        for code in RULE_CODE.findall(COMMENT.sub("", path.read_text(encoding="utf-8")))
    ]
    assert found == [], "\n".join(found)


def test_no_message_of_the_catalogue_carries_a_rule_code():
    catalogue = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
    entries = [e for e in catalogue.read_text(encoding="utf-8").split("\n\n") if "msgid" in e]
    found = [
        e.split("\n")[-1]
        for e in entries
        if RULE_CODE.search("".join(ln for ln in e.split("\n") if not ln.startswith("#")))
    ]
    assert found == [], "\n".join(found)
