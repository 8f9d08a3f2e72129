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
