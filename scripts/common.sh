# Shared by scripts/start and scripts/test: system packages and the virtual environment.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEBIAN_PACKAGES="chromium fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils"
# Only the test command needs these: docker-compose validates the production shape.
TEST_DEBIAN_PACKAGES="docker-compose gettext"

ensure_debian_packages() {
  local missing=""
  for pkg in $DEBIAN_PACKAGES ${1:-}; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    echo "安装系统软件包：$missing"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
  fi
}

find_python() {
  # Django 6 needs Python 3.12 or newer.
  for candidate in python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3 python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "需要 Python 3.12 或更高版本" >&2
  return 1
}

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
  fi
  # Reinstall only when the dependency list changed.
  local stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}
