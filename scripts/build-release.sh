#!/bin/sh
# Build a release artefact: scripts/build-release.sh VERSION OUT.tar.gz
#
# A gzipped tar of the repository at HEAD (git archive: committed files only, no .venv, no data)
# plus a top-level VERSION file holding VERSION. Publish it with
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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
git -C "$repo" archive --format=tar HEAD >"$work/release.tar"
printf '%s\n' "$version" >"$work/VERSION"
tar --owner=0 --group=0 --numeric-owner -C "$work" -rf "$work/release.tar" VERSION
gzip -n -9 <"$work/release.tar" >"$work/release.tar.gz"
mv "$work/release.tar.gz" "$out"
echo "$out: $(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1)"
