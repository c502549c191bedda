#!/usr/bin/env bash
# Real multilingual text for the tokenizer tests: one JSONL file per language, .cache/data/multilingual/<lang>.jsonl,
# each line {"text": ..., "source": ...}, deduplicated, at most EDGEMBED_MULTILINGUAL_CAP (default 3000) texts.
#
# Sources (both Debian's, both written by people):
#   - the translated package descriptions of Debian 12 (main/i18n/Translation-<lang>): `apt-get update` with
#     Acquire::Languages fetches them into /var/lib/apt/lists/, `apt-helper cat-file` decompresses them; a
#     text is the summary line, then the long description (its " ." lines as empty lines);
#   - Arabic and Hindi, which Debian has no description translations for: the strings of Firefox ESR's
#     language packs (firefox-esr-l10n-ar, firefox-esr-l10n-hi-in; `apt-get download`, nothing installed),
#     the .ftl / .properties values whose letters are mostly of the language's script.
# Idempotent: languages whose file exists are skipped (--force rewrites them). Needs root (or sudo) for apt.
# Usage: scripts/fetch_multilingual_text.sh [--force]      env: EDGEMBED_MULTILINGUAL_CAP
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/.cache/data/multilingual
CAP=${EDGEMBED_MULTILINGUAL_CAP:-3000}
# Languages with at least ~1,000 translated descriptions in bookworm main (el, hu, nl, sv, tr, vi have fewer).
DEBIAN_LANGS=(de fr es it pt_BR pl cs ru uk ja ko zh_CN)
FIREFOX_LANGS=(ar:firefox-esr-l10n-ar hi:firefox-esr-l10n-hi-in)
FORCE=0; [ "${1:-}" = "--force" ] && FORCE=1

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
mkdir -p "$OUT"
need() { [ $FORCE = 1 ] || [ ! -s "$OUT/$1.jsonl" ]; }

missing=()
for lang in "${DEBIAN_LANGS[@]}"; do need "$lang" && missing+=("$lang"); done
if [ ${#missing[@]} -gt 0 ]; then
  langs=$(IFS=,; echo "${missing[*]}")
  echo "== apt-get update with Acquire::Languages=$langs"
  $SUDO apt-get -qq -o Acquire::Languages="$langs" update
  for lang in "${missing[@]}"; do
    # The list file names escape "_" as %5f: zh_CN -> ...Translation-zh%5fCN.lz4 (or .gz, .xz, none).
    file=$(ls /var/lib/apt/lists/*_main_i18n_Translation-"${lang/_/%5f}"* 2>/dev/null | head -1 || true)
    if [ -z "$file" ]; then
      echo "ERROR: no Translation-$lang under /var/lib/apt/lists after apt-get update" >&2
      exit 1
    fi
    python3 scripts/extract_multilingual_text.py debian "$lang" "$file" "$CAP" "$OUT/$lang.jsonl"
  done
fi

for entry in "${FIREFOX_LANGS[@]}"; do
  lang=${entry%%:*} package=${entry#*:}
  need "$lang" || continue
  work=$(mktemp -d)
  echo "== apt-get download $package"
  (cd "$work" && apt-get download -qq "$package" 2>/dev/null)
  dpkg-deb -x "$work"/"$package"_*.deb "$work/x"
  python3 scripts/extract_multilingual_text.py firefox "$lang" "$work/x" "$CAP" "$OUT/$lang.jsonl" "$package"
  rm -rf "$work"
done
echo "== multilingual text in $OUT"
