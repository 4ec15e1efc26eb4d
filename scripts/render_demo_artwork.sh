#!/usr/bin/env bash
# PNG renditions (1400 px square) of the demo shows' SVG artwork, for podcast apps, which do
# not show SVG: our RSS serves static/demo/NAME.png for static/demo/NAME.svg. Run after
# changing an SVG; needs Debian's chromium (scripts/ensure-chromium.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for svg in static/demo/*.svg; do
    name=$(basename "$svg" .svg)
    cat >"$work/$name.html" <<HTML
<!doctype html><html><head><style>html,body{margin:0;overflow:hidden}
img{display:block;width:1400px;height:1400px}</style></head>
<body><img src="file://$PWD/$svg"></body></html>
HTML
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --force-device-scale-factor=1 --window-size=1400,1400 \
        --screenshot="$PWD/static/demo/$name.png" "file://$work/$name.html" >/dev/null 2>&1
    echo "static/demo/$name.png"
done
