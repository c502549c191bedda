"""Passkey / needle construction: deterministic for a seed, exact token lengths (checked with the runtime's
tokenizer), one needle per document, queries pointing at the right document."""

from __future__ import annotations

import re

import pytest

from conftest import load_essays
from edgembed_eval import synthetic
from edgembed_eval.runner import Runner


@pytest.fixture(scope="module")
def haystack(edgembed_cli):
    runner = Runner(binary=edgembed_cli[0])
    load_essays()  # skips when the essays are missing
    return runner, edgembed_cli[1], synthetic.Haystack(lambda words: runner.pieces(edgembed_cli[1], words))


@pytest.mark.parametrize("task", ["passkey", "needle"])
def test_construction_is_deterministic(haystack, task):
    runner, model, hay = haystack
    a = synthetic.build(task, 1024, hay, seed=3, n_docs=20, n_queries=10)
    b = synthetic.build(task, 1024, synthetic.Haystack(lambda w: runner.pieces(model, w)), seed=3, n_docs=20, n_queries=10)
    assert a == b
    c = synthetic.build(task, 1024, hay, seed=4, n_docs=20, n_queries=10)
    assert c.doc_texts != a.doc_texts and c.query_texts != a.query_texts
    # Other lengths draw other needles and haystacks.
    d = synthetic.build(task, 512, hay, seed=3, n_docs=20, n_queries=10)
    assert d.query_texts != a.query_texts


@pytest.mark.parametrize("task", ["passkey", "needle"])
@pytest.mark.parametrize("length", [256, 512, 2048])
def test_lengths_needles_and_queries(haystack, task, length):
    runner, model, hay = haystack
    s = synthetic.build(task, length, hay, seed=0)
    assert len(s.doc_texts) == synthetic.DOCS_PER_LENGTH and len(s.query_texts) == synthetic.QUERIES_PER_LENGTH
    # Exact token counts from the runtime's tokenizer: at most `length`, at most a few short of it.
    counted = runner.pieces(model, s.doc_texts) + 2
    assert counted.tolist() == s.doc_tokens
    assert max(s.doc_tokens) <= length and min(s.doc_tokens) >= length - 32
    pattern = (r"(\w+ \w+)'s pass key is (\d{5})\. Remember it\. \2 is the pass key for \1\." if task == "passkey"
               else r"The special magic ([\w ]+?) number is: (\d{7})\.")
    hidden = []
    for text in s.doc_texts:
        found = re.findall(pattern, text)
        assert len(found) == 1, text[:200]
        hidden.append(found[0][0])
    assert len(set(hidden)) == len(hidden)  # every document hides a different name / city
    for qid, query in zip(s.query_ids, s.query_texts):
        (doc,) = s.qrels[qid]
        assert hidden[s.doc_ids.index(doc)] in query
    # Needles sit at many depths, not always at the start or the end.
    assert min(s.depths) < 0.25 and max(s.depths) > 0.75
