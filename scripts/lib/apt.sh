# shellcheck shell=bash
# roadie_apt_install PACKAGE...: installs those of the Debian packages that
# are not installed yet: `apt-get update` once, then one
# `apt-get install -y --no-install-recommends`; sudo only when not root.
# Does nothing where dpkg is absent (not Debian): the caller's later checks
# then report what is missing.
roadie_apt_install() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  ((${#missing[@]})) || return 0
  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    sudo=(sudo)
  fi
  echo "installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}
