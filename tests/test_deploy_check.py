"""Issue 11 item 5: ``manage.py check --deploy --fail-level WARNING`` passes with the production
settings that docker-compose.yml gives the site."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose_environment() -> dict[str, str]:
    """The web service's environment, with ``${NAME:-default}`` resolved to its default and
    the required secret generated."""
    app = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["x-app"]
    secret = secrets.token_urlsafe(50)

    def resolve(value: str) -> str:
        value = re.sub(r"\$\{SECRET_KEY:\?[^}]*\}", secret, str(value))
        return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)

    return {name: resolve(value) for name, value in app["environment"].items()}


def test_check_deploy_passes_with_the_compose_production_settings(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "VAR_DIR": str(tmp_path),
        **_compose_environment(),
    }
    assert env["DEBUG"] == "false"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
