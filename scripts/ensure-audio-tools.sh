#!/usr/bin/env bash
# The speech-to-text tests make their audio with espeak-ng and ffmpeg; install them when missing.
set -euo pipefail
missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} for the speech-to-text tests (apt-get install ${missing[*]})"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "error: the speech-to-text tests need ${missing[*]} on PATH (Debian/Ubuntu: sudo apt-get install ${missing[*]})." >&2
  exit 1
fi
