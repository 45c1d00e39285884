# Sourced by the run and test scripts: a virtualenv in .venv with pyproject's dependencies,
# reinstalled only when pyproject.toml changes.
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

ensure_venv() {
    local extras=$1 stamp want
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install -q --upgrade pip
    fi
    stamp="$VENV/.installed-$extras"
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "venv: installing dependencies ($extras)"
        "$VENV/bin/pip" install -q ".[$extras]"
        echo "$want" > "$stamp"
    fi
}
