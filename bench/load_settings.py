"""Settings of the gunicorn that ``bench/load.py`` starts: production's (``config.settings`` with
DEBUG off), except plain static URLs (no collectstatic manifest, as the other benchmarks) and a
URL module that adds the anchor's view beside the site's."""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

ROOT_URLCONF = "load_urls"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
