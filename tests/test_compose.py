"""The production shape described by docker-compose.yml is a valid compose file with a worker
for each queue the tasks are routed to."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="installed by scripts/test")
def test_compose_file_validates():
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"],
        env={**os.environ, "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_every_service_the_site_needs_has_a_health_check():
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    for name in ("postgres", "redis", "web", "worker-forms", "worker-documents", "worker-bulk"):
        assert "healthcheck" in services[name], name


def test_the_web_server_runs_with_the_sites_own_settings():
    """Compose and the image start gunicorn with config/gunicorn.py: four workers of two
    threads, the application loaded before the fork and its start-up objects frozen out of the
    garbage collector."""
    import runpy

    web = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["web"]["command"]
    assert web[:3] == ["gunicorn", "-c", "config/gunicorn.py"]
    assert '"-c", "config/gunicorn.py"' in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    conf = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (4, 2, "gthread")
    assert conf["preload_app"] is True and callable(conf["when_ready"])
