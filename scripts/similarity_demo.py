"""Embeds a few sample sentences with the edgembed CLI and prints their cosine similarity matrix."""
import argparse
import json
import subprocess

import numpy as np

SENTENCES = [
    "A man is playing a guitar.",
    "Someone is playing an instrument.",
    "The new movie is awesome.",
    "The film was fantastic.",
    "How do I close a directory stream in C?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="the edgembed CLI")
    parser.add_argument("--model", required=True, help="model file")
    args = parser.parse_args()
    result = subprocess.run([args.bin, "embed", "-m", args.model], input="\n".join(SENTENCES) + "\n",
                            capture_output=True, text=True, check=True)
    vectors = np.array([json.loads(line) for line in result.stdout.splitlines()], dtype=np.float32)
    similarity = vectors @ vectors.T
    print(result.stderr.strip())
    width = max(len(s) for s in SENTENCES)
    for i, sentence in enumerate(SENTENCES):
        print(f"{sentence:<{width}}  " + " ".join(f"{similarity[i, j]:5.2f}" for j in range(len(SENTENCES))))


if __name__ == "__main__":
    main()
