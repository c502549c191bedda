"""The TempScale study: constant tau sweeps, length-aware and per-layer temperatures, a label-free choice, and
the decided default. Writes results JSON, then docs/TEMPSCALE.md and its plots (edgembed_eval.report).

    python -m edgembed_eval.study [--quick] [--doc docs/TEMPSCALE.md] [--fig-dir docs/tempscale]
                                  [--results docs/tempscale/results.json] [--cache .cache/tempscale]

Phases (every CLI run is cached on disk, so an interrupted study resumes where it stopped):
  1. constant tau in TAUS, int8: STS-B test, SciFact, man pages (truncate at 512), QMSum (LongEmbed subset,
     truncate at 512), passkey / needle at 256 and 512 tokens; f32: STS-B at tau 0.8, 0.9 and 1.
  2. label-free: every candidate (constant taus, the length-aware grid, per-layer settings) embeds unlabeled
     man pages, short (<= 256 tokens) and long (> 512 tokens, truncated at 512); the collapse gap
     (mean pairwise cosine of long minus short docs) is measured; the candidate with the smallest |gap| is
     the label-free choice. No label is read in this phase.
  3. labeled man pages (int8, truncate at 512) for the label-free choice, a fixed spread of the length-aware
     grid and the per-layer settings.
  4. key settings (tau = 1, best constant tau, label-free choice, best length-aware by labels): SciFact,
     QMSum, passkey / needle at every length (truncate, as LongEmbed ran 512-token models), STS-B in f32.
  5. tau = 1 and the best eligible setting: man pages, QMSum and passkey / needle with windows; f32 man pages.
  6. f32 at every constant tau: STS-B and man pages (int8 is what phases 1-5 sweep).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import collapse, data, metrics, synthetic, tasks
from .data import REPO_ROOT
from .runner import Policy, Runner, Setting, file_sha256, model_path

TAUS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1)
LA_TAUS = (0.8, 0.9, 1.0)
LA_REFS = (64, 128, 256)
LA_EXPS = (0.5, 1.0, 2.0)
# Per-layer factors on tau (6 layers): sharper late, sharper only in the last two, sharper early, a ramp.
LAYER_SETTINGS = ((1.0, 1.0, 1.0, 0.8, 0.8, 0.8), (1.0, 1.0, 1.0, 1.0, 0.7, 0.7), (0.8, 0.8, 0.8, 1.0, 1.0, 1.0),
                  (1.0, 0.95, 0.9, 0.85, 0.8, 0.75))
STS_BUDGET = 0.2  # Spearman points STS-B may lose against tau = 1


@dataclasses.dataclass
class Plan:
    quick: bool = False
    taus: tuple = TAUS
    la_taus: tuple = LA_TAUS
    la_refs: tuple = LA_REFS
    la_exps: tuple = LA_EXPS
    layer_settings: tuple = LAYER_SETTINGS
    labeled_layer_settings: tuple = LAYER_SETTINGS[:1]
    sts_limit: int | None = None
    manpages_max_docs: int | None = None
    manpages_fraction: float = 0.5
    scifact_max_docs: int | None = 450
    scifact_max_queries: int | None = 150
    qmsum_max_docs: int | None = None
    qmsum_max_queries: int | None = 300
    window_cap: int = 2048            # word pieces per doc for the windowed runs of QMSum
    manpages_window_cap: int = 1024   # ... and of man pages
    window_stride: int = 510          # non-overlapping windows of 512 tokens
    synth_sweep_lengths: tuple = (256, 512)
    synth_lengths: tuple = (256, 512, 1024, 2048, 4096)
    synth_docs: int = 100
    synth_queries: int = 50
    labelfree_per_side: int = 40
    f32_sts_taus: tuple = (0.8, 0.9, 1.0)
    f32_sweep: bool = True            # phase 6: STS-B and man pages at every constant tau in f32 too
    wide_settings: int = 2            # settings that get the windowed runs and f32 man pages
    max_key_settings: int | None = None
    seed: int = 0

    @staticmethod
    def make_quick() -> "Plan":
        return Plan(quick=True, taus=(0.8, 1.0), la_taus=(1.0,), la_refs=(128,), la_exps=(1.0,),
                    layer_settings=LAYER_SETTINGS[:1], labeled_layer_settings=LAYER_SETTINGS[:1], sts_limit=150,
                    manpages_max_docs=40, scifact_max_docs=30, scifact_max_queries=15, qmsum_max_docs=12,
                    qmsum_max_queries=10, window_cap=1024, manpages_window_cap=600,
                    synth_sweep_lengths=(256,), synth_lengths=(256, 1024), synth_docs=8, synth_queries=4,
                    labelfree_per_side=8, f32_sts_taus=(1.0,), f32_sweep=False, wide_settings=1,
                    max_key_settings=3)


def la_grid(plan: Plan) -> list[Setting]:
    return [Setting(tau=t, ls_ref=n, ls_exp=a) for t in plan.la_taus for n in plan.la_refs for a in plan.la_exps]


def key(s: Setting) -> str:
    return s.label


class Study:
    def __init__(self, plan: Plan, runner: Runner, results_path: Path, log=lambda *a: print(*a, flush=True)):
        self.plan, self.runner, self.results_path, self.log = plan, runner, results_path, log
        self.int8, self.f32 = model_path("int8"), model_path("f32")
        self.trunc = Policy(512, "truncate")
        self.window = Policy(512, "window", plan.window_stride)
        self.res: dict = {"plan": dataclasses.asdict(plan), "sts": {}, "manpages": {}, "manpages_windows": {},
                          "scifact": {}, "qmsum": {}, "qmsum_windows": {}, "synthetic": {}, "synthetic_windows": {},
                          "labelfree": {}, "f32": {"sts": {}, "manpages": {}}, "phases": {},
                          "synthetic_filler": {}}
        self._sets()

    # -- data ----------------------------------------------------------------------------------------------
    def _sets(self) -> None:
        p, r, m = self.plan, self.runner, self.int8
        mp = data.load_retrieval("linux_manpages")
        if p.manpages_max_docs:
            keep = random.Random(f"manpages:{p.seed}").sample(mp.doc_ids, p.manpages_max_docs)
            mp = mp.subset(doc_ids=keep, note=f"{p.manpages_max_docs} random docs (seed {p.seed})")
        elif p.manpages_fraction < 1:
            # The same fraction of every length bucket (seeded), so the buckets keep their shares.
            rng = random.Random(f"manpages:{p.seed}")
            full = r.pieces(m, mp.doc_texts) + 2
            by_bucket: dict[str, list[str]] = {}
            for d, b in zip(mp.doc_ids, metrics.buckets_of(full)):
                by_bucket.setdefault(b, []).append(d)
            keep = {d for ids in by_bucket.values() for d in rng.sample(ids, max(1, round(p.manpages_fraction * len(ids))))}
            mp = mp.subset(doc_ids=[d for d in mp.doc_ids if d in keep],
                           note=f"{len(keep)} of {len(mp.doc_ids)} docs, {p.manpages_fraction:.0%} of every length bucket "
                                f"(seed {p.seed}), and their queries")
        self.manpages = mp
        self.manpages_tokens = r.pieces(m, mp.doc_texts) + 2
        sf = data.load_retrieval("scifact")
        self.scifact = tasks.subsample_retrieval(sf, max_docs=p.scifact_max_docs, max_queries=p.scifact_max_queries,
                                                 seed=p.seed)
        qm = data.load_retrieval("qmsum_longembed")
        self.qmsum = tasks.subsample_retrieval(qm, max_docs=p.qmsum_max_docs, max_queries=p.qmsum_max_queries,
                                               seed=p.seed)
        # Windowed copies: docs cut to their first window_cap word pieces (at a word boundary).
        self.manpages_capped = dataclasses.replace(self.manpages, doc_texts=self._cap(self.manpages.doc_texts,
                                                                                       p.manpages_window_cap))
        self.qmsum_capped = dataclasses.replace(self.qmsum, doc_texts=self._cap(self.qmsum.doc_texts, p.window_cap))
        # Label-free set: unlabeled man pages, all short ones (<= 256 tokens) and as many long ones (> 512).
        rng = random.Random(f"labelfree:{p.seed}")
        toks = self.manpages_tokens
        short = [i for i, t in enumerate(toks) if t <= collapse.SHORT_MAX]
        long_ = [i for i, t in enumerate(toks) if t >= collapse.LONG_MIN]
        short = sorted(rng.sample(short, min(len(short), p.labelfree_per_side)))
        long_ = sorted(rng.sample(long_, min(len(long_), p.labelfree_per_side)))
        self.lf_idx = short + long_
        self.lf_texts = [mp.doc_texts[i] for i in self.lf_idx]
        self.lf_tokens = toks[self.lf_idx]
        # Content control: each long doc's first 508 word pieces as 4 chunks of 127 (embedded whole, far below
        # any length where collapse shows); the mean of a doc's chunk vectors stands for its content.
        words = sorted({w for i in long_ for w in mp.doc_texts[i].split()})
        wc = dict(zip(words, (int(c) for c in r.pieces(m, words))))
        self.lf_chunks = [c for i in long_ for c in self._chunks(mp.doc_texts[i], wc, 4, 127)]
        hay = synthetic.Haystack(lambda words: r.pieces(m, words))
        self.synth = {task: {L: synthetic.build(task, L, hay, seed=p.seed, n_docs=p.synth_docs, n_queries=p.synth_queries)
                             for L in p.synth_lengths} for task in ("passkey", "needle")}
        # Calibration: the same passkey task with the classic repetitive filler (Mohtashami & Jaggi's) instead of
        # essays, at the lengths a 512-token model sees whole.
        rep = synthetic.Haystack(lambda words: r.pieces(m, words), essays={"filler": synthetic.REPETITIVE_FILLER})
        self.synth_filler = [synthetic.build("passkey", L, rep, seed=p.seed, n_docs=p.synth_docs,
                                             n_queries=p.synth_queries) for L in p.synth_lengths if L <= 512]
        self.res["sets"] = {
            "manpages": {"docs": len(mp.doc_ids), "queries": len(mp.query_ids), "note": mp.note},
            "manpages_bucket_docs": {b: int(c) for b, c in zip(*np.unique(metrics.buckets_of(toks), return_counts=True))},
            "scifact": {"docs": len(self.scifact.doc_ids), "queries": len(self.scifact.query_ids), "note": self.scifact.note},
            "qmsum": {"docs": len(self.qmsum.doc_ids), "queries": len(self.qmsum.query_ids), "note": self.qmsum.note},
            "labelfree": {"short": len(short), "long": len(long_)},
            "synthetic": {"docs_per_length": p.synth_docs, "queries_per_length": p.synth_queries,
                          "example": {t: {"doc_start": s[p.synth_lengths[0]].doc_texts[0][:300],
                                          "query": s[p.synth_lengths[0]].query_texts[0],
                                          "tokens": [min(s[L].doc_tokens) for L in p.synth_lengths]}
                                      for t, s in self.synth.items()}},
            "window_cap": p.window_cap, "manpages_window_cap": p.manpages_window_cap,
        }

    @staticmethod
    def _chunks(text: str, word_pieces: dict, n: int, size: int) -> list[str]:
        words = text.split()
        counts = [word_pieces[w] for w in words]
        out, cur, used = [], [], 0
        for w, c in zip(words, counts):
            if used + c > size and cur:
                out.append(" ".join(cur))
                cur, used = [], 0
                if len(out) == n:
                    break
            cur.append(w)
            used += int(c)
        if len(out) < n and cur:
            out.append(" ".join(cur))
        return out + [out[-1]] * (n - len(out))

    def _cap(self, texts: list[str], cap: int) -> list[str]:
        words = sorted({w for t in texts for w in t.split()})
        counts = dict(zip(words, (int(c) for c in self.runner.pieces(self.int8, words))))
        return tasks.cap_tokens(texts, lambda ws: [counts[w] for w in ws], cap)

    def save(self) -> None:
        self.res["runs"] = self.runner.log
        tmp = self.results_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.res, indent=1, default=float))
        os.replace(tmp, self.results_path)

    # -- evaluations (results stored under setting labels) ---------------------------------------------------
    def sts(self, s: Setting, dtype: str = "int8") -> dict:
        store = self.res["sts"] if dtype == "int8" else self.res["f32"]["sts"]
        if key(s) not in store:
            store[key(s)] = tasks.eval_sts(self.runner, model_path(dtype), s, limit=self.plan.sts_limit)
        return store[key(s)]

    def retrieval(self, name: str, s: Setting, dtype: str = "int8") -> dict:
        sets = {"manpages": (self.manpages, self.trunc), "manpages_windows": (self.manpages_capped, self.window),
                "scifact": (self.scifact, self.trunc), "qmsum": (self.qmsum, self.trunc),
                "qmsum_windows": (self.qmsum_capped, self.window)}
        store = self.res[name] if dtype == "int8" else self.res["f32"].setdefault(name, {})
        if key(s) not in store:
            rs, pol = sets[name]
            toks = self.manpages_tokens if name.startswith("manpages") else None
            if name.startswith("qmsum"):
                toks = self.runner.pieces(self.int8, self.qmsum.doc_texts) + 2  # full length, before the cap
            out = tasks.eval_retrieval(self.runner, model_path(dtype), rs, s, pol, doc_tokens=toks,
                                       tag=f"{name}-{dtype}")
            store[key(s)] = out
            self.log(f"  {name:17s} {dtype} {key(s):28s} nDCG@10 {100 * out['overall']['ndcg@10']:.2f}"
                     + (f"  long {100 * out['buckets']['long (>512)']['ndcg@10']:.2f}" if 'long (>512)' in out['buckets'] else ""))
        return store[key(s)]

    def synthetic(self, s: Setting, lengths, policy_name: str = "truncate") -> dict:
        store = self.res["synthetic" if policy_name == "truncate" else "synthetic_windows"]
        pol = self.trunc if policy_name == "truncate" else self.window
        row = store.setdefault(key(s), {})
        todo = [self.synth[task][L] for task in ("passkey", "needle") for L in lengths
                if str(L) not in row.get(task, {})]
        if todo:
            got = tasks.eval_synthetic(self.runner, self.int8, todo, s, pol, tag=f"synth-{policy_name}")
            for task, per_len in got.items():
                row.setdefault(task, {}).update(per_len)
            self.log(f"  synthetic {policy_name:8s} {key(s):28s} " + "  ".join(
                f"{t} {L}: {row[t][L]['top1']:.2f}" for t in row for L in sorted(row[t], key=int)))
        return row

    def synthetic_filler(self, s: Setting) -> dict:
        if key(s) not in self.res["synthetic_filler"] and self.synth_filler:
            self.res["synthetic_filler"][key(s)] = tasks.eval_synthetic(self.runner, self.int8, self.synth_filler, s,
                                                                       self.trunc, tag="synth-filler")["passkey"]
        return self.res["synthetic_filler"].get(key(s), {})

    def labelfree(self, s: Setting) -> dict:
        if key(s) not in self.res["labelfree"]:
            n = len(self.lf_texts)
            out = self.runner.embed(self.int8, self.lf_texts + self.lf_chunks, s, self.trunc, layer_stats=True,
                                    tag="labelfree")
            g = collapse.short_long_gap(out.vectors[:n], self.lf_tokens, out.dc_share[:n])
            # Content-controlled gap: the long docs' own vectors vs the means of their chunk vectors.
            full = out.vectors[:n][np.asarray(self.lf_tokens) >= collapse.LONG_MIN]
            chunks = out.vectors[n:].reshape(len(full), 4, -1).mean(axis=1)
            g["cos_long_chunks"] = collapse.mean_pairwise_cosine(chunks)
            g["content_gap"] = g["cos_long"] - g["cos_long_chunks"]
            g["self_agreement"] = float(np.mean(metrics.cosine_pairs(full, chunks)))
            # Agreement with the unmodified model's view of the same content: the chunk means at tau = 1.
            ref = self.runner.embed(self.int8, self.lf_texts + self.lf_chunks, Setting(1.0), self.trunc,
                                    layer_stats=True, tag="labelfree")
            ref_chunks = ref.vectors[n:].reshape(len(full), 4, -1).mean(axis=1)
            g["agreement"] = float(np.mean(metrics.cosine_pairs(full, ref_chunks)))
            self.res["labelfree"][key(s)] = g
        return self.res["labelfree"][key(s)]

    # -- phases ----------------------------------------------------------------------------------------------
    def phase(self, name: str, fn) -> None:
        t0, tok0 = time.time(), sum(r["tokens"] for r in self.runner.log if not r["cached"])
        self.log(f"== phase {name}")
        self.runner.phase = name
        fn()
        self.res["phases"][name] = {"seconds": time.time() - t0,
                                    "tokens": sum(r["tokens"] for r in self.runner.log if not r["cached"]) - tok0}
        self.save()

    def phase1(self) -> None:
        p = self.plan
        for tau in p.taus:
            s = Setting(tau=tau)
            self.sts(s)
            self.retrieval("manpages", s)
            self.retrieval("scifact", s)
            self.retrieval("qmsum", s)
            self.synthetic(s, p.synth_sweep_lengths)
            self.save()
        for tau in p.f32_sts_taus:
            self.sts(Setting(tau=tau), "f32")

    def candidates(self) -> list[Setting]:
        return ([Setting(tau=t) for t in self.plan.taus] + la_grid(self.plan)
                + [Setting(tau=1.0, layer_temps=lt) for lt in self.plan.layer_settings])

    def phase2(self) -> None:
        for s in self.candidates():
            g = self.labelfree(s)
            self.log(f"  label-free {key(s):40s} cos short {g['cos_short']:.3f} long {g['cos_long']:.3f} "
                     f"gap {g['cos_gap']:+.3f} content gap {g['content_gap']:+.3f} agreement {g['agreement']:.4f}"
                     f"  DC last short {g['dc_short'][-1]:.3f} long {g['dc_long'][-1]:.3f}")
        self.res["labelfree_choice"] = key(self.labelfree_choice())
        self.res["labelfree_choice_content"] = key(self.labelfree_choice("content_gap"))
        self.res["labelfree_choice_agreement"] = key(self.labelfree_choice("agreement"))

    def labelfree_choice(self, stat: str = "cos_gap") -> Setting:
        """Smallest |collapse gap| over all candidates; ties: the smaller change to the model (closer to tau=1,
        then smaller length-aware factor at 512 tokens). stat "cos_gap": long minus short docs (the primary
        criterion); "content_gap": long docs minus the means of their own 127-piece chunks (secondary);
        "agreement" (largest, not smallest): mean cosine between a long doc's vector and the mean of its chunks'
        vectors at tau = 1 (added after phase 2's statistics showed both gaps shrinking monotonically)."""
        def cost(s: Setting):
            g = self.res["labelfree"][key(s)]
            v = -g[stat] if stat == "agreement" else abs(g[stat])  # agreement: the higher the better
            return (round(v, 4), abs(1 - s.tau), s.long_factor(512))
        return min(self.candidates(), key=cost)

    def best_constant(self) -> Setting:
        """The constant tau with the best man-page nDCG@10 on long docs (> 512 tokens), int8, truncate at 512."""
        return max((Setting(tau=t) for t in self.plan.taus),
                   key=lambda s: self.res["manpages"][key(s)]["buckets"].get("long (>512)", {}).get("ndcg@10", -1))

    def labeled_la(self) -> list[Setting]:
        """A fixed spread of the length-aware grid (set before seeing labels): at tau = 1 (short texts exactly as
        the model was trained) N0 = 128 and 256 at A = 1, and N0 = 128 at A = 2; N0 = 256, A = 1 at the grid tau
        nearest the best constant tau."""
        p = self.plan
        out = []
        if 1.0 in p.la_taus:
            out += [Setting(1.0, n, 1.0) for n in p.la_refs[-2:]]
            out += [Setting(1.0, p.la_refs[len(p.la_refs) // 2], max(p.la_exps))]
        tb = min(p.la_taus, key=lambda t: abs(t - self.best_constant().tau))
        if tb != 1.0:
            out += [Setting(tb, p.la_refs[-1], 1.0)]
        return out

    def phase3(self) -> None:
        lf = self.labelfree_choice()
        todo = [lf, self.labelfree_choice("content_gap"), self.labelfree_choice("agreement")] + self.labeled_la() + [Setting(1.0, layer_temps=lt) for lt in self.plan.labeled_layer_settings]
        seen = set()
        for s in todo:
            if key(s) in seen:
                continue
            seen.add(key(s))
            self.retrieval("manpages", s)
            self.sts(s)
            self.save()
        self.res["best_constant"] = key(self.best_constant())
        self.res["best_la_by_labels"] = key(self.best_la_by_labels())

    def best_la_by_labels(self) -> Setting:
        evaluated = [s for s in la_grid(self.plan) + [Setting(1.0, layer_temps=lt) for lt in self.plan.layer_settings]
                     if key(s) in self.res["manpages"]]
        return max(evaluated, key=lambda s: self.res["manpages"][key(s)]["buckets"].get("long (>512)", {}).get("ndcg@10", -1))

    def key_settings(self) -> list[Setting]:
        out, seen = [], set()
        for s in (Setting(1.0), self.best_constant(), self.labelfree_choice(), self.labelfree_choice("content_gap"),
                  self.labelfree_choice("agreement"), self.best_la_by_labels()):
            if key(s) not in seen:
                seen.add(key(s))
                out.append(s)
        return out[: self.plan.max_key_settings] if self.plan.max_key_settings else out

    def phase4(self) -> None:
        p = self.plan
        ks = self.key_settings()
        self.res["key_settings"] = [key(s) for s in ks]
        for s in ks:
            self.sts(s)
            self.sts(s, "f32")
            self.retrieval("scifact", s)
            self.retrieval("qmsum", s)
            self.synthetic(s, p.synth_lengths, "truncate")
            self.synthetic_filler(s)
            self.save()
        self.res["decision"] = decide(self.res)

    def wide_settings(self) -> list[Setting]:
        """tau = 1, the decided default and the label-free choice (the expensive runs: windows, f32 man pages)."""
        by_key = {key(s): s for s in self.key_settings()}
        out = [Setting(1.0)]
        for k in (self.res["decision"]["default"], self.res["decision"]["best_eligible"], key(self.labelfree_choice())):
            if k not in [key(s) for s in out] and len(out) < self.plan.wide_settings:
                out.append(by_key[k])
        return out

    def phase5(self) -> None:
        p = self.plan
        ws = self.wide_settings()
        self.res["wide_settings"] = [key(s) for s in ws]
        for s in ws:
            self.retrieval("manpages_windows", s)
            self.retrieval("qmsum_windows", s)
            self.synthetic(s, [L for L in p.synth_lengths if L > 512], "window")
            self.save()
        for s in ws:
            self.retrieval("manpages", s, "f32")
            self.save()

    def phase6(self) -> None:
        """The constant-tau sweep again in f32 (STS-B, man pages by length): does int8 change the picture?"""
        if not self.plan.f32_sweep:
            return
        for tau in self.plan.taus:
            s = Setting(tau=tau)
            self.sts(s, "f32")
            self.retrieval("manpages", s, "f32")
            self.save()

    def run(self) -> dict:
        env = environment(self.runner)
        self.res["environment"] = env
        t0 = time.time()
        for name, fn in (("1 constant tau", self.phase1), ("2 label-free", self.phase2), ("3 labeled grid", self.phase3),
                         ("4 key settings", self.phase4), ("5 windows and f32", self.phase5),
                         ("6 f32 constant tau", self.phase6)):
            self.phase(name, fn)
        self.res["environment"]["study_seconds"] = time.time() - t0
        self.res["environment"]["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        self.save()
        return self.res


def long_ndcg(res: dict, name: str, k: str) -> float | None:
    row = res.get(name, {}).get(k)
    if not row:
        return None
    b = row["buckets"].get("long (>512)")
    return b["ndcg@10"] if b else None


def decide(res: dict) -> dict:
    """The default to store. Eligible: the key settings within STS_BUDGET Spearman points of tau = 1 on STS-B
    (int8 and f32) that lose at most 1 point of nDCG@10 against tau = 1 on any retrieval set (man pages long
    docs, SciFact, QMSum). Of those, the best mean change against tau = 1 over man pages long-doc nDCG@10,
    SciFact nDCG@10, QMSum nDCG@10 and passkey / needle top-1 at 256 and 512 tokens (one number). tau = 1
    stays unless the winner gains at least 0.5 points on that mean."""
    base = "tau=1"
    keys = res.get("key_settings", [])

    def parts(k: str) -> dict:
        out = {}
        v = long_ndcg(res, "manpages", k)
        if v is not None:
            out["manpages long nDCG@10"] = 100 * v
        for name in ("scifact", "qmsum"):
            if k in res.get(name, {}):
                out[f"{name} nDCG@10"] = 100 * res[name][k]["overall"]["ndcg@10"]
        syn = res.get("synthetic", {}).get(k, {})
        vals = [syn[t][L]["top1"] for t in ("passkey", "needle") for L in ("256", "512") if L in syn.get(t, {})]
        if vals:
            out["passkey/needle top-1 (256, 512)"] = 100 * float(np.mean(vals))
        return out

    table = {}
    for k in keys:
        sts_int8 = res["sts"].get(k, {}).get("spearman")
        sts_f32 = res["f32"]["sts"].get(k, {}).get("spearman")
        d_int8 = None if sts_int8 is None else sts_int8 - res["sts"][base]["spearman"]
        d_f32 = None if sts_f32 is None or base not in res["f32"]["sts"] else sts_f32 - res["f32"]["sts"][base]["spearman"]
        pk, pb = parts(k), parts(base)
        deltas = {n: pk[n] - pb[n] for n in pk if n in pb}
        retrieval_ok = all(v >= -1.0 for n, v in deltas.items() if "nDCG" in n)
        table[k] = {"sts_delta_int8": d_int8, "sts_delta_f32": d_f32, "deltas": deltas,
                    "mean_delta": float(np.mean(list(deltas.values()))) if deltas else 0.0,
                    "sts_ok": all(d is None or d >= -STS_BUDGET for d in (d_int8, d_f32)),
                    "retrieval_ok": retrieval_ok}
        table[k]["eligible"] = table[k]["sts_ok"] and retrieval_ok
    eligible = [k for k in keys if table[k]["eligible"]]
    best = max(eligible, key=lambda k: table[k]["mean_delta"]) if eligible else base
    chosen = best if table.get(best, {}).get("mean_delta", 0) >= 0.5 else base
    return {"table": table, "best_eligible": best, "default": chosen, "rule": " ".join(decide.__doc__.split())}


def environment(runner: Runner) -> dict:
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT, timeout=30).stdout.strip()
        except Exception:
            return ""
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except Exception:
        pass
    return {
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
        "load_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "git_commit": sh(["git", "rev-parse", "HEAD"]), "git_dirty": bool(sh(["git", "status", "--porcelain", "--", "runtime", "tools/cli", "quant", "simd"])),
        "binary": str(runner.binary), "binary_sha256": file_sha256(runner.binary),
        "models": {d: {"path": str(model_path(d)), "sha256": file_sha256(model_path(d))} for d in ("int8", "f32")},
        "threads": runner.threads, "python": sys.version.split()[0],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny subsets and grids: a CI smoke run of every phase")
    ap.add_argument("--doc", type=Path, default=REPO_ROOT / "docs" / "TEMPSCALE.md")
    ap.add_argument("--fig-dir", type=Path, default=REPO_ROOT / "docs" / "tempscale")
    ap.add_argument("--results", type=Path, default=None, help="results JSON (default <fig-dir>/results.json)")
    ap.add_argument("--cache", type=Path, default=REPO_ROOT / ".cache" / "tempscale")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--report-only", action="store_true", help="rewrite the doc and plots from the results JSON")
    ap.add_argument("--command", default="scripts/tempscale_study.sh", help="the command line shown in the doc")
    args = ap.parse_args(argv)
    args.fig_dir.mkdir(parents=True, exist_ok=True)
    results = args.results or args.fig_dir / "results.json"
    from . import report
    if not args.report_only:
        plan = Plan.make_quick() if args.quick else Plan()
        runner = Runner(cache_dir=args.cache, threads=args.threads, verbose=True)
        res = Study(plan, runner, results).run()
        res["environment"]["command"] = args.command
        results.write_text(json.dumps(res, indent=1, default=float))
    res = json.loads(results.read_text())
    report.write(res, args.doc, args.fig_dir)
    print(f"wrote {args.doc} and plots in {args.fig_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
