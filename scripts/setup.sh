#!/usr/bin/env bash
# Idempotent set-up of a Debian 12 machine for the Renshe kiosk: Debian packages and .venv/.
# Usage: scripts/setup.sh            (installs what is missing, then returns quickly on later runs)
# Needs root or sudo for apt; everything else stays inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # PC/SC stack: daemon, the vsmartcard virtual reader driver, headers to build pyscard, independent clients
  pcscd vsmartcard-vpcd libpcsclite-dev swig pcsc-tools opensc
  # private mount/network namespaces for an isolated pcscd (tests, demo)
  iproute2 util-linux
  # Kivy on a real X display (Xvfb) with Mesa GL, and SDL's input libs
  xvfb xauth libgl1 libgl1-mesa-dri libegl1 libmtdev1 libgles2 x11-utils
  # X input events (XTest) for the kiosk benchmark's touches (benchmarks/kiosk_rig.py)
  libxtst6
  # A CJK font whose first face is Chinese; HanaMin for rare characters (CJK Ext A/B) on receipts
  fonts-wqy-microhei fonts-hanazono
  # Real PostgreSQL 15 server for the gateway's test suite
  postgresql-15 postgresql-client-15
  # Debian's browser and its driver for the staff console tests (no downloaded browser)
  chromium chromium-driver
  # Text to speech: the kiosk's voice prompts are rendered to WAV at set-up (scripts/voice.py)
  espeak-ng
  # HTTP load generator for the gateway benchmark (C, so it leaves the 2 cores to the server)
  wrk
  # deploy/server tests: nginx -t and a real nginx in front of two gateways (never enabled or
  # started as a service here), systemd-analyze verify of the units, openssl for a test certificate
  nginx systemd openssl
  # The terminal's deploy tests (tests/deploy/): the kiosk compositor its unit starts (and that
  # systemd-analyze verify wants present; it runs under XWayland headless), logrotate to run the terminal's rotation config
  cage xwayland logrotate
  python3-venv python3-dev build-essential
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts pcscd through systemd socket activation on a normal machine; the tests start
# their own isolated pcscd, so nothing is enabled here.

PY=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing pinned Python packages"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
  echo "$want" > "$stamp"
fi
# The compiled message catalogues (kiosk/locale/*/LC_MESSAGES/kiosk.mo) are build output, not in git:
# compile them from the .po files (only those missing or out of date are written).
.venv/bin/python scripts/i18n.py compile
# The voice prompts (kiosk/locale/*/voice/*.wav, not in git) are rendered from the compiled texts
# with espeak-ng; only prompts whose words, voice or espeak-ng version changed are rendered again.
.venv/bin/python scripts/voice.py build
# The pinyin input method's index (.cache/pinyin/, not in git) from pypinyin and jieba: ~8 s to
# build, so it is built here once per package version rather than on the kiosk's first text question.
.venv/bin/python -m kiosk.pinyin_index build
echo "setup: ready"
