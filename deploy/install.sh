#!/usr/bin/env bash
# Installs City Brain from this bundle into DEST with no network (docs/DEPLOY.md):
#
#     bash install.sh [--no-compile] DEST          # e.g. /opt/citybrain
#
# DEST becomes a virtual environment of its own holding the app and every package it uses,
# at the versions and hashes of requirements.lock, so the app's top-level modules (app, cli,
# data, ...) never meet another program's packages. Then `DEST/bin/citybrain serve` runs from
# any folder; DEST/share/citybrain holds gunicorn.conf.py and the systemd unit.
# An existing install in DEST is upgraded in place; a failed fresh install leaves no DEST.
# --no-compile skips byte-compiling (a faster install; the first start compiles in memory).
# PYTHON= picks the interpreter (default python3; it must be the bundle's Python version).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
compile=--compile
if [ "${1:-}" = --no-compile ]; then compile=--no-compile; shift; fi
if [ $# -ne 1 ]; then
  echo "usage: bash install.sh [--no-compile] DEST" >&2
  exit 2
fi
dest=$1
python=${PYTHON:-python3}

fail() { echo "install.sh: $*" >&2; exit 1; }

# The wheels are built for one Python version and platform.
want=$(cat "$here/python-version")
have=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) \
  || fail "$python not found: PYTHON=python$want bash install.sh $dest"
[ "$have" = "$want" ] \
  || fail "this bundle's wheels are for Python $want ($(cat "$here/platform")); $python is $have"

# A file damaged on its way in stops the install before anything is written.
if ! damaged=$(cd "$here" && sha256sum --check --quiet SHA256SUMS 2>&1); then
  fail "damaged files in the bundle, nothing installed: ${damaged//$'\n'/; }"
fi

# The Debian packages come from the centre's own Debian mirror, not from the bundle.
missing=()
while read -r package; do
  case $package in ''|'#'*) continue ;; esac
  if command -v dpkg-query >/dev/null; then
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  fi
done < "$here/debian-packages.txt"
if [ ${#missing[@]} -gt 0 ]; then
  fail "Debian packages missing: ${missing[*]} (apt-get install ${missing[*]})"
fi
command -v dpkg-query >/dev/null \
  || echo "install.sh: not Debian: make sure these are installed:" \
       "$(grep -v '^#' "$here/debian-packages.txt" | tr '\n' ' ')" >&2

fresh=1
if [ -e "$dest" ]; then
  if [ -x "$dest/bin/citybrain" ] && [ -f "$dest/pyvenv.cfg" ]; then
    fresh=0
  elif [ -n "$(ls -A "$dest")" ]; then
    fail "$dest is not empty and holds no City Brain install: choose another folder"
  fi
fi
if [ $fresh = 1 ]; then
  trap 'rm -rf "$dest"; echo "install.sh: failed; $dest removed" >&2' ERR
  "$python" -m venv "$dest"
fi

# Nothing from this machine's pip configuration (an index, constraints) takes part.
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1
"$dest/bin/python" -m pip install --quiet --no-index --find-links "$here/wheels" \
  --require-hashes $compile -r "$here/requirements.lock"
"$dest/bin/python" -m pip install --quiet --no-index --no-deps --force-reinstall $compile \
  "$here"/wheels/citybrain-*.whl
mkdir -p "$dest/share/citybrain"
cp "$here/gunicorn.conf.py" "$here/citybrain.service" "$dest/share/citybrain/"
trap - ERR
echo "installed $("$dest/bin/citybrain" --version) into $dest: $dest/bin/citybrain serve"
