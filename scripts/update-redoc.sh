#!/usr/bin/env bash
# Refresh the vendored API documentation viewer from npm: Redoc (MIT) under static/vendor/redoc/, and
# the two typefaces its theme uses, Montserrat and Roboto (SIL OFL 1.1, from @fontsource), under
# static/vendor/montserrat/ and static/vendor/roboto/. /v1/docs then needs no network at all.
# Usage: scripts/update-redoc.sh [redoc version] [fontsource version]   (defaults: latest 2.x, latest 5.x)
# Redoc 2.x: its standalone bundle is half the size of 3.x's and drf-spectacular drives it the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
redoc_version="${1:-2}"
fonts_version="${2:-5}"
weights=(300 400 700)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
unpack() { # npm package spec -> directory holding its files
    local dir="$work/$2"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz)
    echo "$dir/package"
}
version_of() { node -p "require('$1/package.json').version"; }

redoc="$(unpack "redoc@${redoc_version}" redoc)"
dest=static/vendor/redoc
rm -rf "$dest"
mkdir -p "$dest"
# One change: the sidebar's "API docs by Redocly" link shows a logo fetched from cdn.redoc.ly on every
# visit; an empty inline image stands in, so the page asks nothing of another host (the link stays).
logo='https://cdn.redoc.ly/redoc/logo-mini.svg'
grep -q "$logo" "$redoc/bundles/redoc.standalone.js" || { echo "the Redocly logo URL moved: check the bundle" >&2; exit 1; }
sed "s#${logo}#data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E#" \
    "$redoc/bundles/redoc.standalone.js" > "$dest/redoc.standalone.js"
cp "$redoc/LICENSE" "$dest/LICENSE"
cp "$redoc/bundles/redoc.standalone.js.LICENSE.txt" "$dest/THIRD-PARTY-LICENSES.txt"
cat > "$dest/VERSION" <<NOTE
redoc $(version_of "$redoc") (npm package "redoc", MIT, see LICENSE; the bundled libraries' notices are in
THIRD-PARTY-LICENSES.txt). File: bundles/redoc.standalone.js, copied with one change: the Redocly logo
(loaded from cdn.redoc.ly) is replaced by an empty inline image, so the docs page stays on this host.
Refresh with scripts/update-redoc.sh [version].
NOTE

for family in montserrat roboto; do
    package="$(unpack "@fontsource/${family}@${fonts_version}" "$family")"
    dest="static/vendor/$family"
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$package/LICENSE" "$dest/LICENSE"
    : > "$dest/font.css"
    for weight in "${weights[@]}"; do
        file="${family}-latin-${weight}-normal.woff2"
        cp "$package/files/$file" "$dest/"
        # The latin block of @fontsource's CSS for this weight, pointing at the copied woff2 only.
        awk -v name="${family}-latin-${weight}-normal" '
            $0 ~ "/\\* " name " \\*/" { keep = 1 }
            keep { print }
            keep && /^}/ { exit }
        ' "$package/${weight}.css" |
            sed -E "s#src: url\(./files/([^)]*\.woff2)\) format\('woff2'\).*#src: url(./\1) format('woff2');#" >> "$dest/font.css"
    done
    cat > "$dest/VERSION" <<NOTE
${family} $(version_of "$package") (npm package "@fontsource/${family}", SIL OFL 1.1, see LICENSE).
Files: the latin subset, weights ${weights[*]}, as woff2; font.css is @fontsource's CSS for them.
Refresh with scripts/update-redoc.sh.
NOTE
done
echo "vendored redoc $(version_of "$redoc") and the montserrat and roboto fonts into static/vendor/"
