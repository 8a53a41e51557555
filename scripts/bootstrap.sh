#!/usr/bin/env bash
# Set up .venv with the project and its test tools on a fresh machine.
# Debian/Ubuntu's python3 may lack venv/pip (packages python3-venv, python3-pip):
# install them with apt when we can (root, or passwordless sudo), else say how.
set -euo pipefail
venv="${1:-.venv}"
extras="${2:-dev}"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@";
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@";
    else return 1; fi
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 || return 1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        py=$(python3 -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')
        echo "python3 cannot create a virtual environment; installing ${py}-venv with apt..."
        if ! apt_install python3-venv "${py}-venv"; then
            echo "error: install Python's venv module first, e.g. 'sudo apt-get install python3-venv'" >&2
            exit 1
        fi
        python3 -m venv "$venv"
    fi
fi

stamp="$venv/.installed-$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e ".[$extras]"
    touch "$stamp"
fi

# graphviz's `dot` program draws the graphs (the Python package only writes DOT text).
if ! command -v dot >/dev/null 2>&1; then
    echo "graphviz's 'dot' program is missing; installing Debian's graphviz package..."
    if ! apt_install graphviz; then
        echo "warning: could not install graphviz. Drawings will still give their DOT source," >&2
        echo "  but rendering them needs 'dot': 'sudo apt-get install graphviz' (Debian/Ubuntu)," >&2
        echo "  'brew install graphviz' (macOS), or see https://graphviz.org/download/" >&2
    fi
fi
