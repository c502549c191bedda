"""Passkey and needle retrieval at controlled lengths, built from the Paul Graham essays (LongEmbed's recipe as
far as its published files tell; see docs/TEMPSCALE.md, "Passkey and needle").

What LongEmbed's result files and README fix, and this follows:
  - one test split per context length (256, 512, 1024, ... tokens); per length 100 candidate documents and 50
    queries, each query with exactly one relevant document; the score is nDCG@1 = top-1 accuracy;
  - passkey is "adopted from Personalized Passkey Retrieval": each document hides one person's pass key, the
    query asks for that person's pass key (a name is what tells the documents apart for the query);
  - needle is tailored from Needle-in-a-Haystack (Paul Graham essays as the haystack): each document hides
    one fact, the query asks for it.
What they do not fix (our choices): the exact sentences, names, cities, how lengths are counted (here: model
tokens of all-MiniLM-L6-v2 incl. [CLS] and [SEP], so a 512 document is exactly one full window) and where
the haystack starts (a random word of the concatenated essays; every document has its own stretch).

Construction is deterministic given the seed and the word-piece counter (tests check it).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Callable

import numpy as np

from .data import load_essays

LENGTHS = (256, 512, 1024, 2048, 4096)
DOCS_PER_LENGTH = 100
QUERIES_PER_LENGTH = 50

FIRST_NAMES = ("Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas", "Mia",
               "Mateo", "Amelia", "Henry", "Harper", "Theodore", "Evelyn", "Oliver", "Abigail", "Benjamin", "Emily",
               "Samuel", "Ella", "Daniel", "Grace", "Jack", "Chloe", "Owen", "Nora", "Leo", "Hazel", "Caleb",
               "Aurora", "Isaac", "Violet", "Ezra", "Stella", "Miles", "Lucy", "Julian")
LAST_NAMES = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
              "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
              "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
              "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen",
              "Hill", "Flores")
CITIES = ("Tokyo", "Delhi", "Shanghai", "Cairo", "Mumbai", "Beijing", "Dhaka", "Osaka", "Karachi", "Istanbul",
          "Kinshasa", "Lagos", "Manila", "Tianjin", "Guangzhou", "Lahore", "Bangalore", "Moscow", "Shenzhen",
          "Chennai", "Bogota", "Paris", "Jakarta", "Lima", "Bangkok", "Hyderabad", "Seoul", "Nagoya", "London",
          "Chengdu", "Tehran", "Nanjing", "Wuhan", "Luanda", "Ahmedabad", "Chicago", "Riyadh", "Baghdad",
          "Santiago", "Surat", "Madrid", "Suzhou", "Pune", "Harbin", "Houston", "Dallas", "Toronto", "Miami",
          "Belo Horizonte", "Singapore", "Philadelphia", "Atlanta", "Fukuoka", "Khartoum", "Barcelona",
          "Johannesburg", "Saint Petersburg", "Qingdao", "Dalian", "Washington", "Yangon", "Alexandria", "Jinan",
          "Guadalajara", "Ankara", "Melbourne", "Abidjan", "Sydney", "Recife", "Monterrey", "Boston", "Casablanca",
          "Montreal", "Berlin", "Algiers", "Phoenix", "Jeddah", "Kabul", "Rome", "Naples", "Athens", "Lisbon",
          "Vienna", "Prague", "Budapest", "Warsaw", "Stockholm", "Oslo", "Helsinki", "Copenhagen", "Dublin",
          "Amsterdam", "Brussels", "Zurich", "Geneva", "Munich", "Hamburg", "Milan", "Seattle", "Denver", "Austin",
          "Nairobi", "Accra", "Dakar", "Havana", "Quito", "Caracas", "Auckland", "Perth", "Vancouver")


# The filler of the original passkey test (Mohtashami & Jaggi 2023), for calibration against the essays.
REPETITIVE_FILLER = " ".join(["The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."] * 400)


def passkey_needle(name: str, key: int) -> tuple[str, str]:
    """(the sentence hidden in the document, the query)."""
    return (f"{name}'s pass key is {key}. Remember it. {key} is the pass key for {name}.",
            f"what is the pass key for {name}?")


def city_needle(city: str, number: int) -> tuple[str, str]:
    return (f"The special magic {city} number is: {number}.", f"What is the special magic {city} number?")


@dataclasses.dataclass
class SyntheticSet:
    task: str                 # "passkey" | "needle"
    length: int               # target tokens per document incl. [CLS] and [SEP]
    doc_ids: list[str]
    doc_texts: list[str]
    doc_tokens: list[int]     # actual tokens incl. [CLS] and [SEP] (<= length)
    depths: list[float]       # where the needle sits, as a fraction of the haystack
    query_ids: list[str]
    query_texts: list[str]
    qrels: dict[str, dict[str, int]]


class Haystack:
    """The essays as one word stream, with word-piece counts per word."""

    def __init__(self, count_pieces: Callable[[list[str]], np.ndarray], essays: dict[str, str] | None = None):
        essays = essays if essays is not None else load_essays()
        self.words: list[str] = [w for _, text in sorted(essays.items()) for w in text.split()]
        unique = sorted(set(self.words))
        counts = count_pieces(unique)
        self.pieces_of = dict(zip(unique, (int(c) for c in counts)))
        self.count_pieces = count_pieces
        self.pieces = np.array([self.pieces_of[w] for w in self.words], dtype=np.int64)

    def text_pieces(self, text: str) -> int:
        words = text.split()
        missing = sorted({w for w in words if w not in self.pieces_of})
        if missing:
            self.pieces_of.update(zip(missing, (int(c) for c in self.count_pieces(missing))))
        return sum(self.pieces_of[w] for w in words)

    def stretch(self, start: int, budget: int) -> list[str]:
        """Consecutive words from `start` (wrapping around) whose pieces sum to at most budget, as many as fit."""
        out, used, n, i = [], 0, len(self.words), start
        while len(out) < n:
            p = int(self.pieces[i % n])
            if used + p > budget:
                break
            out.append(self.words[i % n])
            used += p
            i += 1
        return out


def _insert_at_depth(words: list[str], sentence: str, depth: float) -> tuple[str, float]:
    """Inserts sentence after the sentence boundary nearest to `depth` (a fraction of the words)."""
    target = int(round(depth * len(words)))
    bounds = [0] + [i + 1 for i, w in enumerate(words) if w.endswith((".", "?", "!", '."', '?"', '!"'))]
    pos = min(bounds, key=lambda b: (abs(b - target), b))
    return " ".join(words[:pos] + [sentence] + words[pos:]), (pos / len(words) if words else 0.0)


def build(task: str, length: int, haystack: Haystack, seed: int = 0, n_docs: int = DOCS_PER_LENGTH,
          n_queries: int = QUERIES_PER_LENGTH) -> SyntheticSet:
    if task not in ("passkey", "needle"):
        raise ValueError(f"unknown task {task!r}")
    rng = random.Random(f"{task}:{length}:{seed}")
    if task == "passkey":
        names = rng.sample([f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES], n_docs)
        keys = rng.sample(range(10000, 100000), n_docs)
        pairs = [passkey_needle(nm, k) for nm, k in zip(names, keys)]
    else:
        if n_docs > len(CITIES):
            raise ValueError(f"at most {len(CITIES)} needle documents per length")
        cities = rng.sample(CITIES, n_docs)
        numbers = rng.sample(range(1000000, 10000000), n_docs)
        pairs = [city_needle(c, n) for c, n in zip(cities, numbers)]
    haystack.text_pieces(" ".join(n for n, _ in pairs))  # one tokenizer run for all the needles' words
    doc_ids, texts, tokens, depths = [], [], [], []
    for j, (needle, _) in enumerate(pairs):
        budget = length - 2 - haystack.text_pieces(needle)
        if budget < 0:
            raise ValueError(f"length {length} too short for the needle {needle!r}")
        words = haystack.stretch(rng.randrange(len(haystack.words)), budget)
        text, depth = _insert_at_depth(words, needle, rng.random())
        doc_ids.append(f"{task}-{length}-d{j:03d}")
        texts.append(text)
        tokens.append(haystack.text_pieces(text) + 2)
        depths.append(depth)
    chosen = sorted(rng.sample(range(n_docs), n_queries))
    query_ids = [f"{task}-{length}-q{j:03d}" for j in chosen]
    return SyntheticSet(task, length, doc_ids, texts, tokens, depths, query_ids, [pairs[j][1] for j in chosen],
                        {q: {doc_ids[j]: 1} for q, j in zip(query_ids, chosen)})
