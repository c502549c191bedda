"""Writes one language's texts as JSONL ({"text", "source"} per line, deduplicated, at most CAP) for
scripts/fetch_multilingual_text.sh, which fetches the sources:

  debian LANG LIST_FILE CAP OUT        a Translation-LANG list of /var/lib/apt/lists (any compression: read
                                       through apt-helper cat-file); a text is a package's translated summary
                                       line, then its long description (" ." lines become empty lines)
  firefox LANG ROOT CAP OUT PACKAGE    an unpacked Firefox language pack: the values of its .ftl / .properties
                                       files whose letters are mostly of LANG's script
"""

from __future__ import annotations

import glob
import json
import re
import subprocess
import sys
import unicodedata
import zipfile


def debian_descriptions(lang: str, list_file: str) -> list[dict]:
    data = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", list_file], check=True, capture_output=True).stdout
    key = f"Description-{lang}:"
    texts, seen = [], set()
    for stanza in data.decode("utf-8").split("\n\n"):
        lines = stanza.split("\n")
        package = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("Package:")), "?")
        for i, line in enumerate(lines):
            if not line.startswith(key):
                continue
            body = []
            for l in lines[i + 1:]:
                if not l.startswith(" "):
                    break
                body.append("" if l.strip() == "." else l[1:])
            text = "\n".join([line[len(key):].strip()] + body).strip()
            if text and text not in seen:
                seen.add(text)
                texts.append({"text": text, "source": f"debian bookworm Translation-{lang}: {package}"})
    return texts


SCRIPTS = {"ar": "ARABIC", "hi": "DEVANAGARI"}


def firefox_strings(lang: str, root: str, package: str) -> list[dict]:
    script = SCRIPTS[lang]

    def mostly_in_script(text: str) -> bool:
        letters = [c for c in text if c.isalpha()]
        return len(letters) >= 8 and sum(script in unicodedata.name(c, "") for c in letters) >= 0.6 * len(letters)

    texts, seen = [], set()
    for xpi in sorted(glob.glob(f"{root}/**/*.xpi", recursive=True)):
        with zipfile.ZipFile(xpi) as z:
            for name in sorted(z.namelist()):
                if not name.endswith((".ftl", ".properties")):
                    continue
                for line in z.read(name).decode("utf-8").splitlines():
                    if line.lstrip().startswith("#"):
                        continue
                    # Fluent "id = value" / ".attribute = value"; .properties "key = value".
                    m = re.match(r"^\s*[.A-Za-z0-9_-]+\s*=\s*(.+)$", line)
                    if not m:
                        continue
                    text = m.group(1).strip().replace("\\n", "\n")  # .properties' escaped newlines
                    if mostly_in_script(text) and text not in seen:
                        seen.add(text)
                        texts.append({"text": text, "source": f"{package}: {name}"})
    return texts


def main(argv: list[str]) -> None:
    kind, lang, source, cap, out = argv[1], argv[2], argv[3], int(argv[4]), argv[5]
    texts = debian_descriptions(lang, source) if kind == "debian" else firefox_strings(lang, source, argv[6])
    if len(texts) < 100:
        sys.exit(f"{lang}: only {len(texts)} texts in {source}")
    with open(out, "w", encoding="utf-8") as f:
        for t in texts[:cap]:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    print(f"{lang}: {min(len(texts), cap)} texts of {len(texts)} distinct -> {out}")


if __name__ == "__main__":
    main(sys.argv)
