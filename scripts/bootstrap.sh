#!/usr/bin/env bash
# Install what benchgen needs on a Debian/Ubuntu machine; safe to run again (does nothing when up to date).
#   1. apt packages (only the missing ones; `apt-get update` runs once, and only if something is missing)
#   2. a Python 3.11 virtual environment in .venv
#   3. benchgen itself, editable, with its test extras (only when pyproject.toml changed since last time)
set -euo pipefail

cd "$(dirname "$0")/.."

APT_PACKAGES=(
    bubblewrap       # the sandbox that runs scenario scripts
    postgresql-15    # PostgreSQL server for the database tests (binaries in /usr/lib/postgresql/15/bin)
    libgl1           # OpenCascade (build123d) links against libGL
    libegl1          # MuJoCo offscreen rendering through EGL (MUJOCO_GL=egl) ...
    libegl-mesa0     # ... with Mesa's EGL vendor ...
    libgl1-mesa-dri  # ... and its llvmpipe software rasteriser
    libosmesa6       # MuJoCo's OSMesa fallback (MUJOCO_GL=osmesa)
    python3.11
    python3.11-venv
    chromium         # headless browser for the gallery test (tests/test_gallery.py)
)
VENV=.venv
PYPROJECT_STAMP="$VENV/.benchgen-pyproject.sha256"  # hash of the pyproject.toml last installed

say() { printf 'bootstrap: %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        say "need root for: $* (run as root or install sudo)" >&2
        exit 1
    fi
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for package in "${APT_PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing apt packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "apt packages present"
fi

if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with python3.11"
    python3.11 -m venv "$VENV"
fi

wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$PYPROJECT_STAMP" 2>/dev/null)" != "$wanted" ]; then
    say "installing benchgen and its test dependencies into $VENV (a few minutes on a fresh machine)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[test]'
    echo "$wanted" > "$PYPROJECT_STAMP"
else
    say "python packages up to date"
fi

say "ready: $VENV/bin/benchgen"
