#!/usr/bin/env bash
# Refresh the vendored wavesurfer.js (BSD-3-Clause) under static/vendor/wavesurfer/ from npm.
# Usage: scripts/update-wavesurfer.sh [version]   (default: the latest 8.x)
# Only the self-contained ES module builds the studio uses are copied; no build step, no CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-8}"
dest=static/vendor/wavesurfer
plugins=(record regions timeline)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "wavesurfer.js@${version}" >/dev/null && tar xzf wavesurfer.js-*.tgz)
package="$work/package"
resolved="$(node -p "require('$package/package.json').version")"

rm -rf "$dest"
mkdir -p "$dest/plugins"
cp "$package/dist/wavesurfer.esm.js" "$dest/"
for plugin in "${plugins[@]}"; do
    cp "$package/dist/plugins/$plugin.esm.js" "$dest/plugins/"
done
cp "$package/LICENSE" "$dest/LICENSE"
cat > "$dest/VERSION" <<NOTE
wavesurfer.js ${resolved} (npm package "wavesurfer.js", BSD-3-Clause, see LICENSE)
Files: dist/wavesurfer.esm.js and dist/plugins/{$(IFS=,; echo "${plugins[*]}")}.esm.js, copied unchanged.
Refresh with scripts/update-wavesurfer.sh [version].
NOTE
echo "wavesurfer.js ${resolved} vendored into ${dest}"
