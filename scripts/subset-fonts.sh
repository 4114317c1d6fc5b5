#!/usr/bin/env bash
# Regenerates crates/render/fonts: DejaVu Sans cut to the characters Russian documents use
# (Latin, Latin-1, Cyrillic, dashes, quotes, №, ₽, −). A subset is a twentieth of the full font,
# so every invoice PDF embeds ~30 KB instead of ~700 KB (BENCHMARKS.md: invoice rendering).
# Needs fonttools (pip install fonttools) and the dejavu crate in the cargo registry.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/dejavu-2.37.0/assets/dejavu-fonts-ttf-2.37/ttf | head -1)
unicodes="U+0020-007E,U+00A0-00FF,U+0400-045F,U+2010-2027,U+2030,U+2116,U+20BD,U+2212"
for f in DejaVuSans DejaVuSans-Bold; do
    pyftsubset "$src/$f.ttf" --unicodes="$unicodes" --layout-features='' --no-hinting \
        --name-IDs='*' --output-file="crates/render/fonts/$f-ru.ttf"
done
cp "$src/../LICENSE" crates/render/fonts/LICENSE
ls -l crates/render/fonts
