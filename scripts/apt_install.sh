#!/usr/bin/env bash
# The one place the scripts install system packages (setup.sh, build_web.sh, test.sh;
# serve.sh through them): with apt-get, as root, waiting for another apt or dpkg to
# finish, and saying plainly what could not be installed and what that means.
#
#   bash scripts/apt_install.sh [--no-recommends] 'COMMAND|PACKAGE|WHAT IS LOST WITHOUT IT' ...
#
# COMMAND already on the PATH: nothing to do for that entry ("-": ask dpkg whether
# PACKAGE is installed instead). The rest are installed in one apt-get run. The
# package locks are waited for up to SOCIALSYNC_APT_LOCK_TIMEOUT seconds in all
# (default 120): dpkg's through apt-get's DPkg::Lock::Timeout, the package lists'
# lock of `apt-get update` (which that option does not cover on every apt) by
# trying again every SOCIALSYNC_APT_RETRY_S seconds (default 5). serve.sh and test.sh
# set SOCIALSYNC_APT_DEADLINE (epoch seconds) so that all their apt runs share one
# such wait rather than each waiting in turn.
#
# Exit status 0 when every COMMAND is there afterwards; 1 when one is still missing,
# each named on stderr as "==> NOT INSTALLED: PACKAGE (why): WHAT IS LOST WITHOUT IT".
set -uo pipefail

recommends=()
if [ "${1:-}" = --no-recommends ]; then
  recommends=(--no-install-recommends)
  shift
fi
timeout_s="${SOCIALSYNC_APT_LOCK_TIMEOUT:-120}"
retry_s="${SOCIALSYNC_APT_RETRY_S:-5}"

present() { # present COMMAND PACKAGE
  if [ "$1" = - ]; then
    dpkg-query -W -f='${Status}' "$2" 2>/dev/null | grep -q 'ok installed'
  else
    command -v "$1" >/dev/null 2>&1
  fi
}

wanted=()
packages=()
for spec in "$@"; do
  IFS='|' read -r command package _ <<<"$spec"
  present "$command" "$package" && continue
  wanted+=("$spec")
  case " ${packages[*]} " in *" $package "*) ;; *) packages+=("$package") ;; esac
done
[ "${#wanted[@]}" -eq 0 ] && exit 0

# report WHY: name every wanted package that is still missing, and what it costs.
report() {
  local status=0 spec command package meaning
  for spec in "${wanted[@]}"; do
    IFS='|' read -r command package meaning <<<"$spec"
    if ! present "$command" "$package"; then
      echo "==> NOT INSTALLED: $package ($1): $meaning" >&2
      status=1
    fi
  done
  return "$status"
}

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  report "installing it needs root and apt-get; as root: apt-get install ${packages[*]}"
  exit
fi

export DEBIAN_FRONTEND=noninteractive
deadline="${SOCIALSYNC_APT_DEADLINE:-$(($(date +%s) + timeout_s))}"
failure=""

# apt ARGS...: apt-get ARGS, tried again while another apt or dpkg holds a lock and
# time is left. Sets $failure to a short reason when it finally fails.
apt() {
  local out rc left
  while :; do
    left=$((deadline - $(date +%s)))
    [ "$left" -lt 1 ] && left=1
    out="$(apt-get -o "DPkg::Lock::Timeout=$left" "$@" 2>&1)"
    rc=$?
    [ "$rc" = 0 ] && return 0
    if grep -qiE 'could not get lock|unable to (acquire|lock)' <<<"$out"; then
      if [ "$(date +%s)" -lt "$deadline" ]; then
        sleep "$retry_s"
        continue
      fi
      failure="another apt or dpkg still held the package lock when the wait ran out (SOCIALSYNC_APT_LOCK_TIMEOUT=${timeout_s} s)"
    else
      failure="apt-get $1 failed: $(grep -E '^(E|Err):' <<<"$out" | tail -n 1 | cut -c1-200)"
      [ "$failure" = "apt-get $1 failed: " ] && failure="apt-get $1 failed (exit $rc)"
    fi
    return "$rc"
  done
}

echo "==> installing ${packages[*]} with apt-get (waiting for another apt or dpkg up to ${timeout_s} s in all)"
apt update -qq || echo "==> $failure; trying the install with the package lists there are" >&2
if apt install -y -qq "${recommends[@]}" "${packages[@]}"; then
  report "apt-get installed it but its command is still not on the PATH"
else
  report "$failure"
fi
