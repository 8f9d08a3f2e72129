"""The English interface has no untranslated strings: the catalogue made from today's code leaves
nothing empty or fuzzy (templates, Python, Excel sheets, chart legends and API messages alike)."""

import os
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings


def test_english_catalogue_leaves_nothing_untranslated(tmp_path):
    root = Path(settings.BASE_DIR)
    catalogue = root / "locale" / "en" / "LC_MESSAGES" / "django.po"
    # makemessages writes beside the code it reads: give it the code through links and a copy
    # of the catalogue, so the repository's own catalogue stays as it is.
    farm = tmp_path / "project"
    farm.mkdir()
    for item in root.iterdir():
        if item.name not in {
            "locale",
            ".git",
            ".venv",
            "node_modules",
        } and not item.name.startswith("."):
            (farm / item.name).symlink_to(item)
    work = farm / "locale" / "en" / "LC_MESSAGES"
    work.mkdir(parents=True)
    shutil.copy(catalogue, work / "django.po")
    here = os.getcwd()
    os.chdir(farm)
    try:
        with override_settings(LOCALE_PATHS=[str(farm / "locale")]):
            call_command(
                "makemessages", locale=["en"], no_obsolete=True, symlinks=True, verbosity=0
            )
    finally:
        os.chdir(here)
    made = work / "django.po"
    missing = subprocess.run(
        ["msgattrib", "--untranslated", "--no-location", str(made)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-location", str(made)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ids = lambda text: [  # noqa: E731
        line for line in text.splitlines() if line.startswith("msgid ") and line != 'msgid ""'
    ]
    assert not ids(missing), "untranslated:\n" + "\n".join(ids(missing))
    assert not ids(fuzzy), "fuzzy:\n" + "\n".join(ids(fuzzy))
