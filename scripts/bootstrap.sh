#!/usr/bin/env bash
# Set up .venv with the project and its test tools on a fresh machine.
# Debian/Ubuntu's python3 may lack venv/pip (packages python3-venv, python3-pip):
# install them with apt when we can (root, or passwordless sudo), else say how.
set -euo pipefail
venv="${1:-.venv}"
extras="${2:-dev}"

can_root() {
    [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

can_apt() {
    command -v apt-get >/dev/null 2>&1 && can_root
}

apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# A .venv whose Python no longer runs (the Python it was made from changed or went away)
# is made again, rather than failing on every later run.
if [ -e "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "$venv does not run (its Python changed?); making it again..."
    rm -rf "$venv"
fi

if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        if python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
            python3 -m venv "$venv"  # the module is there: show its own error
            exit 1
        fi
        py=$(python3 -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')
        if ! can_apt; then
            echo "error: python3 cannot create a virtual environment; install Python's venv" \
                 "module first, e.g. 'sudo apt-get install python3-venv ${py}-venv'" >&2
            exit 1
        fi
        echo "python3 cannot create a virtual environment; installing ${py}-venv with apt..."
        if ! apt_install python3-venv "${py}-venv"; then
            echo "error: could not install it; run 'sudo apt-get install python3-venv ${py}-venv'" >&2
            exit 1
        fi
        python3 -m venv "$venv"
    fi
fi

# Installed once, and again when pyproject.toml changes or the checkout moves (an
# editable install points at the checkout's path).
stamp="$venv/.installed-$extras"
where="$(pwd -P)"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$(cat "$stamp")" != "$where" ]; then
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e ".[$extras]"
    echo "$where" > "$stamp"
fi

# graphviz's `dot` program draws the graphs (the Python package only writes DOT text).
if ! command -v dot >/dev/null 2>&1; then
    if can_apt; then
        echo "graphviz's 'dot' program is missing; installing Debian's graphviz package..."
        apt_install graphviz || true
    fi
    if ! command -v dot >/dev/null 2>&1; then
        echo "warning: graphviz's 'dot' program is missing. Drawings still give their DOT" >&2
        echo "  source, and the tests and notebooks that render them are skipped; to render" >&2
        echo "  them: 'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz'" >&2
        echo "  (macOS), or see https://graphviz.org/download/" >&2
    fi
fi
