#!/usr/bin/env bash
# Shared by serve.sh and test.sh: a virtualenv in .venv with the project installed.
#
#   bash scripts/setup.sh [EXTRA[,EXTRA...]]     e.g. test, loadtests, test,loadtests
#
# Installs only what is not installed yet for this pyproject.toml: every install
# leaves a marker per extra set in .venv (.installed-HASH for the project itself,
# .installed-HASH-EXTRA for each extra, HASH from pyproject.toml), so switching
# between serve.sh, test.sh and `setup.sh loadtests` installs nothing twice; markers
# of an older pyproject.toml are dropped, since what it asked for changed.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  bash scripts/apt_install.sh "$python|python3|nothing runs without Python 3.11+" || exit 1
fi
fresh=""
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  rm -rf .venv
  if ! "$python" -m venv .venv >/dev/null 2>&1; then
    # Debian and Ubuntu ship venv's pip in a package of its own.
    rm -rf .venv
    version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    bash scripts/apt_install.sh "-|python$version-venv|no virtualenv, so nothing can be installed" || exit 1
    "$python" -m venv .venv
  fi
  fresh=1
fi

hash="$(sha1sum pyproject.toml | cut -c1-12)"
todo=()
IFS=',' read -r -a extras <<<"${1:-}"
if [ "${#extras[@]}" -eq 0 ]; then
  # The project alone: there whenever anything was installed for this pyproject.toml.
  compgen -G ".venv/.installed-$hash*" >/dev/null || todo=("")
else
  for extra in "${extras[@]}"; do
    [ -f ".venv/.installed-$hash-$extra" ] || todo+=("$extra")
  done
fi
[ "${#todo[@]}" -eq 0 ] && exit 0

wanted="$(IFS=,; echo "${todo[*]}")"
echo "==> installing Python dependencies${wanted:+ [$wanted]}"
if [ -n "$fresh" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
.venv/bin/python -m pip install --quiet -e ".${wanted:+[$wanted]}"
for marker in .venv/.installed-*; do
  case "$marker" in
    ".venv/.installed-$hash" | ".venv/.installed-$hash-"*) ;; # this pyproject.toml's: kept
    *) rm -f "$marker" ;;
  esac
done
touch ".venv/.installed-$hash"
for extra in "${todo[@]}"; do
  [ -n "$extra" ] && touch ".venv/.installed-$hash-$extra"
done
exit 0
