#!/usr/bin/env bash
# Install headless Chromium and its driver from Debian's packages for the browser test of the
# opt-out page (tests/.../test_opt_out_browser.py). Needs root and apt-get; otherwise it says
# so and the test skips (under CI, where this must work, the test fails instead).
# Debian's stable versions are used as they are: a stable release only receives security
# fixes, and the security archive does not keep superseded versions to pin to.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "browser: chromium not installed and cannot install it (needs root and apt-get);" \
       "the browser test will be skipped" >&2
  exit 0
fi
log=$(mktemp)
if ! { apt-get install -y -q chromium chromium-driver \
       || { apt-get update -q && apt-get install -y -q chromium chromium-driver; }; \
     } >"$log" 2>&1; then
  cat "$log" >&2
  echo "browser: could not install chromium" >&2
  exit 1
fi
echo "browser: $(/usr/bin/chromium --version 2>/dev/null)"
