#!/usr/bin/env bash
# Install the Debian packages microscout's tests need, only when they are missing.
set -euo pipefail
need=()
# Java 17 runs the Spark engine tests.
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
# Debian Chromium and a font run the Playwright browser tests (never `playwright install`).
[ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
# poppler-utils checks PDF reports (pdftoppm, pdftotext); Noto fonts print Arabic, Devanagari, CJK and emoji in them.
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
[ -d /usr/share/fonts/truetype/noto ] || need+=(fonts-noto-core)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
