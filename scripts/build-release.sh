#!/bin/sh
# Build a release artefact: scripts/build-release.sh VERSION OUT.tar.gz
#
# A gzipped tar of the repository at HEAD (git archive: committed files only, no .venv, no data),
# a top-level VERSION file holding VERSION, and the build output a terminal needs (compiled
# catalogues, voice prompts, the pinyin index). Publish it with
#   python -m server publish-release OUT.tar.gz --version VERSION [--notes TEXT]
# (docs/software-update.md).
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 VERSION OUT.tar.gz" >&2
    exit 2
fi
version=$1
out=$2
case "$version" in
    "" | *[!0-9A-Za-z._+-]* | [._+-]* | *..*)
        echo "invalid version '$version': letters, digits and . _ + - (not first), at most 32" >&2
        exit 2
        ;;
esac
if [ "${#version}" -gt 32 ]; then
    echo "version '$version' is longer than 32 characters" >&2
    exit 2
fi

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
python="$repo/.venv/bin/python"
if [ ! -x "$python" ]; then
    echo "no $python: run scripts/setup.sh first (the release carries compiled catalogues and voice prompts)" >&2
    exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/tree"
git -C "$repo" archive --format=tar HEAD | tar -C "$work/tree" -xf -
printf '%s\n' "$version" >"$work/tree/VERSION"
# Build output that is not in git but that a terminal needs: the compiled message catalogues and
# the rendered voice prompts (a terminal has neither Babel's sources step nor espeak-ng to run).
"$python" "$work/tree/scripts/i18n.py" compile >/dev/null
"$python" "$work/tree/scripts/voice.py" build >/dev/null
# The pinyin input method's index (.cache/pinyin/, ~8 s to build from pypinyin and jieba): built
# here so that a terminal never builds it on a resident's first text question.
(cd "$work/tree" && "$python" -m kiosk.pinyin_index build >/dev/null)
tar --owner=0 --group=0 --numeric-owner --sort=name -C "$work/tree" -cf "$work/release.tar" .
gzip -n -9 <"$work/release.tar" >"$work/release.tar.gz"
mv "$work/release.tar.gz" "$out"
echo "$out: $(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1)"
