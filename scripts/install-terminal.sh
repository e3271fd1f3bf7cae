#!/usr/bin/env bash
# Install (or check) a Renshe kiosk terminal on Debian 12: the kiosk boots into cage on tty1 and stays there.
#
# Usage: scripts/install-terminal.sh [--root DIR] [--from-artefact FILE.tar.gz] [--venv DIR] [--check]
#   (no option)         real install from the checkout this script lives in; needs root. Idempotent.
#   --root DIR          install into the scratch root DIR: no apt, no systemctl, no user added to this
#                       machine (systemd-sysusers/-tmpfiles work inside DIR), owners set only as root.
#   --from-artefact F   install the release artefact F (a git-archive tar.gz with a VERSION file)
#                       instead of the checkout.
#   --venv DIR          use the existing venv DIR (its packages those of requirements.lock) instead of
#                       building ROOT/venvs/<hash>; for tests and development machines.
#   --check             change nothing; report every missing piece with its fix; exit 1 if any.
# The layout (ROOT/releases, current, previous, venvs; DATA/update) is docs/terminal-install.md's.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
DEPLOY="$REPO/deploy/terminal"
KIOSK_USER=renshe-kiosk
KIOSK_ROOT=/opt/renshe-kiosk       # ROOT inside the target file system
KIOSK_DATA=/var/lib/renshe-kiosk   # DATA inside the target file system
LAUNCHER=/usr/local/lib/renshe-kiosk/renshe-kiosk-launch
# What a terminal needs from Debian: the card daemon and CCID driver, the kiosk compositor (with
# XWayland for SDL builds without Wayland), Mesa GL, Kivy's input libs, the CJK fonts, Python.
TERMINAL_PACKAGES=(pcscd libccid libpcsclite1 cage xwayland libgl1 libgl1-mesa-dri libegl1 libgles2 libmtdev1
  fonts-wqy-microhei fonts-hanazono python3 python3-venv ca-certificates logrotate)
# source in deploy/terminal -> installed path, mode
FILES=(
  "renshe-kiosk.service:/etc/systemd/system/renshe-kiosk.service:0644"
  "pcscd.service.d/renshe-kiosk.conf:/etc/systemd/system/pcscd.service.d/renshe-kiosk.conf:0644"
  "sysusers.conf:/etc/sysusers.d/renshe-kiosk.conf:0644"
  "tmpfiles.conf:/etc/tmpfiles.d/renshe-kiosk.conf:0644"
  "70-renshe-kiosk.rules:/etc/udev/rules.d/70-renshe-kiosk.rules:0644"
  "logrotate.conf:/etc/logrotate.d/renshe-kiosk:0644"
  "journald.conf:/etc/systemd/journald.conf.d/renshe-kiosk.conf:0644"
  "pam.conf:/etc/pam.d/renshe-kiosk:0644"
  "renshe-kiosk-launch:$LAUNCHER:0755"
  "kiosk.toml:/etc/renshe-kiosk/kiosk.toml:0640:keep"
)

TARGET=""
ARTEFACT=""
VENV=""
CHECK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) TARGET=$(realpath -m "$2"); shift 2 ;;
    --from-artefact) ARTEFACT=$(realpath "$2"); shift 2 ;;
    --venv) VENV=$(realpath "$2"); shift 2 ;;
    --check) CHECK=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install-terminal: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
REAL=1
[ -n "$TARGET" ] && REAL=0
FS=${TARGET:-}            # prefix of every target path ("" on a real install)
R="$FS$KIOSK_ROOT"

say() { echo "install-terminal: $*"; }
die() { echo "install-terminal: $*" >&2; exit 1; }

if [ "$REAL" -eq 1 ] && [ "$CHECK" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "a real install needs root (or use --root DIR for a scratch install)"
fi

lock_hash() { sha256sum "$1/requirements.lock" | cut -c1-16; }

# --- what is installed ------------------------------------------------------------------------

install_packages() {
  local missing=() p
  for p in "${TERMINAL_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_files() {
  local entry src dst mode keep
  for entry in "${FILES[@]}"; do
    IFS=: read -r src dst mode keep <<<"$entry"
    if [ "$keep" = keep ] && [ -e "$FS$dst" ]; then
      continue  # the operator's own configuration: written once, never overwritten
    fi
    if ! cmp -s "$DEPLOY/$src" "$FS$dst"; then
      install -D -m "$mode" "$DEPLOY/$src" "$FS$dst"
      say "wrote $dst"
    fi
  done
}

create_user_and_dirs() {
  local root_opt=()
  [ "$REAL" -eq 0 ] && root_opt=(--root="$TARGET")
  systemd-sysusers "${root_opt[@]}" "$FS/etc/sysusers.d/renshe-kiosk.conf"
  systemd-tmpfiles "${root_opt[@]}" --create "$FS/etc/tmpfiles.d/renshe-kiosk.conf"
}

# Puts the source tree (checkout or artefact) into $1 (an empty directory); prints its version.
unpack_source() {
  local dest=$1 version
  if [ -n "$ARTEFACT" ]; then
    tar -xzf "$ARTEFACT" -C "$dest"
    # git archive --prefix=name/ puts everything in one folder: lift it
    if [ ! -f "$dest/VERSION" ] && [ "$(find "$dest" -mindepth 1 -maxdepth 1 | wc -l)" -eq 1 ]; then
      local top
      top=$(find "$dest" -mindepth 1 -maxdepth 1)
      find "$top" -mindepth 1 -maxdepth 1 -exec mv -t "$dest" {} +
      rmdir "$top"
    fi
    [ -f "$dest/VERSION" ] || die "$ARTEFACT has no VERSION file"
    version=$(tr -d ' \n' <"$dest/VERSION")
  else
    # The checkout as it is in the working tree: tracked files and new ones git does not ignore
    # (.venv, data/, build output stay out). The version names the commit and, when the tree
    # differs from it, a hash of the difference.
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
      tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$dest"
    if [ -f "$REPO/VERSION" ]; then
      version=$(tr -d ' \n' <"$REPO/VERSION")
    else
      version=$(git -C "$REPO" describe --tags --always)
      if [ -n "$(git -C "$REPO" status --porcelain)" ]; then
        version="$version-d$(cd "$REPO" && { git diff HEAD; git ls-files -z --others --exclude-standard |
          xargs -0 -r sha256sum; } | sha256sum | cut -c1-8)"
      fi
    fi
    echo "$version" >"$dest/VERSION"
  fi
  [[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z._+-]{0,31}$ && "$version" != *..* ]] || die "bad version '$version'"
  echo "$version"
}

# Makes ROOT/venvs/<hash> for a release's requirements.lock (shared by releases with the same lock).
ensure_venv() {
  local release=$1 hash venv
  hash=$(lock_hash "$release")
  venv="$R/venvs/$hash"
  if [ -n "$VENV" ]; then
    [ -x "$VENV/bin/python" ] || die "--venv $VENV has no bin/python"
    if [ "$(readlink "$venv" 2>/dev/null)" != "$VENV" ]; then
      rm -rf "$venv"
      ln -s "$VENV" "$venv"
    fi
  elif [ ! -f "$venv/.complete" ]; then
    say "building the venv $hash (requirements.lock)"
    rm -rf "$venv.partial"
    python3 -m venv "$venv.partial"
    "$venv.partial/bin/python" -m pip install -q --disable-pip-version-check -r "$release/requirements.lock"
    touch "$venv.partial/.complete"
    rm -rf "$venv"
    mv "$venv.partial" "$venv"
  fi
  ln -sfn "../../venvs/$hash" "$release/.venv"
}

point() {  # point NAME TARGET: ROOT/NAME -> TARGET, replaced atomically
  ln -sfn "$2" "$R/.$1.tmp"
  mv -T "$R/.$1.tmp" "$R/$1"
}

install_release() {
  local staging version release old
  staging=$(mktemp -d "$R/releases/.partial-XXXXXX")
  version=$(unpack_source "$staging")
  release="$R/releases/$version"
  if [ -f "$release/VERSION" ]; then
    rm -rf "$staging"
  else
    rm -rf "$release"
    mv "$staging" "$release"
    chmod 0755 "$release"
    say "unpacked release $version"
  fi
  ensure_venv "$release"
  # The compiled catalogues (.mo) are build output, not in git or the artefact.
  (cd "$release" && .venv/bin/python scripts/i18n.py compile >/dev/null)
  old=$(readlink "$R/current" 2>/dev/null || true)
  if [ "$old" != "releases/$version" ]; then
    [ -n "$old" ] && point previous "$old"
    point current "releases/$version"
    say "current -> releases/$version${old:+ (previous -> $old)}"
  fi
}

# At most current, previous and one new release are kept: the installer keeps current and previous,
# and leaves everything alone while an update is on trial (DATA/update/state.json) or being unpacked.
prune_releases() {
  [ -e "$FS$KIOSK_DATA/update/state.json" ] && return 0
  local keep_current keep_previous dir name used=" "
  keep_current=$(readlink "$R/current" 2>/dev/null || true)
  keep_previous=$(readlink "$R/previous" 2>/dev/null || true)
  for dir in "$R"/releases/*/; do
    [ -d "$dir" ] || continue
    name=releases/$(basename "$dir")
    if [ "$name" != "$keep_current" ] && [ "$name" != "$keep_previous" ]; then
      rm -rf "${dir%/}"
      say "removed $name"
    fi
  done
  for dir in "$R"/releases/*/; do
    used="$used$(basename "$(readlink "$dir.venv" 2>/dev/null)") "
  done
  for dir in "$R"/venvs/*; do
    [ -e "$dir" ] || [ -L "$dir" ] || continue
    name=$(basename "$dir")
    [[ "$name" == *.* ]] && continue  # a venv being built
    if [[ "$used" != *" $name "* ]]; then
      rm -rf "$dir"
      say "removed venvs/$name"
    fi
  done
}

set_owners() {
  if [ "$(id -u)" -ne 0 ]; then
    say "not root: owners left as they are"
    return 0
  fi
  local ids
  ids=$(awk -F: -v u="$KIOSK_USER" '$1 == u {print $3 ":" $4}' "$FS/etc/passwd")
  [ -n "$ids" ] || die "no user $KIOSK_USER in $FS/etc/passwd"
  chown -hR "$ids" "$R" "$FS$KIOSK_DATA"
  chown "root:$(cut -d: -f2 <<<"$ids")" "$FS/etc/renshe-kiosk/kiosk.toml"
}

enable_units() {
  systemctl daemon-reload
  systemctl enable pcscd.socket renshe-kiosk.service
  udevadm control --reload 2>/dev/null || true
  say "enabled pcscd.socket and renshe-kiosk.service: reboot, or systemctl start renshe-kiosk"
}

# --- --check ------------------------------------------------------------------------------------

MISSING=0
missing() { echo "missing: $1 -> fix: $2"; MISSING=$((MISSING + 1)); }

check_all() {
  local fix="scripts/install-terminal.sh${TARGET:+ --root $TARGET}" entry src dst mode keep p
  if [ "$REAL" -eq 1 ]; then
    for p in "${TERMINAL_PACKAGES[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing "Debian package $p" "apt-get install $p"
    done
  fi
  for entry in "${FILES[@]}"; do
    IFS=: read -r src dst mode keep <<<"$entry"
    if [ ! -e "$FS$dst" ]; then
      missing "$dst" "$fix"
    elif [ "$keep" != keep ] && ! cmp -s "$DEPLOY/$src" "$FS$dst"; then
      missing "$dst as in deploy/terminal/$src (it differs)" "$fix"
    fi
  done
  local line
  line=$(grep "^$KIOSK_USER:" "$FS/etc/passwd" 2>/dev/null || true)
  if [ -z "$line" ]; then
    missing "the user $KIOSK_USER" "systemd-sysusers${TARGET:+ --root=$TARGET} /etc/sysusers.d/renshe-kiosk.conf"
  elif [[ "$line" != *:/usr/sbin/nologin ]]; then
    missing "$KIOSK_USER without a login shell" "usermod -s /usr/sbin/nologin $KIOSK_USER"
  fi
  local uid want dir
  uid=$(cut -d: -f3 <<<"$line")
  for want in "$KIOSK_DATA:700" "$KIOSK_DATA/update:700" "$KIOSK_ROOT:755" "$KIOSK_ROOT/releases:755" "$KIOSK_ROOT/venvs:755"; do
    dir=${want%%:*}
    if [ ! -d "$FS$dir" ]; then
      missing "the directory $dir" "systemd-tmpfiles${TARGET:+ --root=$TARGET} --create /etc/tmpfiles.d/renshe-kiosk.conf"
    elif [ "$(stat -c %a "$FS$dir")" != "${want##*:}" ] || { [ "$(id -u)" -eq 0 ] && [ -n "$uid" ] && [ "$(stat -c %u "$FS$dir")" != "$uid" ]; }; then
      missing "$dir owned by $KIOSK_USER, mode ${want##*:}" "systemd-tmpfiles${TARGET:+ --root=$TARGET} --create /etc/tmpfiles.d/renshe-kiosk.conf"
    fi
  done
  local current
  current=$(readlink -f "$R/current" 2>/dev/null || true)
  if [ -z "$current" ] || [ ! -f "$current/VERSION" ] || [ ! -f "$current/main.py" ]; then
    missing "a release at $KIOSK_ROOT/current" "$fix"
  elif [ ! -x "$current/.venv/bin/python" ]; then
    missing "the venv of $KIOSK_ROOT/current (.venv/bin/python)" "$fix"
  elif [ "$(readlink "$current/.venv")" != "../../venvs/$(lock_hash "$current")" ]; then
    missing "$KIOSK_ROOT/current/.venv -> venvs/<its requirements.lock hash>" "$fix"
  fi
  if [ "$REAL" -eq 1 ]; then
    for p in pcscd.socket renshe-kiosk.service; do
      systemctl is-enabled -q "$p" 2>/dev/null || missing "$p enabled" "systemctl enable $p"
    done
  fi
  if [ "$MISSING" -gt 0 ]; then
    echo "install-terminal: $MISSING missing"
    return 1
  fi
  echo "install-terminal: complete (release $(cat "$current/VERSION"))"
}

if [ "$CHECK" -eq 1 ]; then
  check_all
  exit $?
fi
[ "$REAL" -eq 1 ] && install_packages
install_files
create_user_and_dirs
install_release
prune_releases
set_owners
[ "$REAL" -eq 1 ] && enable_units
say "done (${TARGET:-this machine})"
