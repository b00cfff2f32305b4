"""Retrieval stage: dense (FAISS) + lexical (BM25) search, rank fusion, and the out-of-scope decision."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .index import Index
from .lexicon import FOREIGN_SHARE, REAL_WORD_ZIPF, base_zipf, english_zipf, tokenize_for_bm25
from .schema import Chunk, Hit

LAY_FACTOR = 0.6  # how far a recognised lay phrase lowers the similarity bar
NAME_LENGTH = 8  # letters from which a rare unknown word is taken for a drug's or disease's name
CLOSE_DENSE = 0.48  # measured: questions about the article beside one rare everyday word 0.489-0.56 ("handlebars",
# "enumerate", "forklift"); other drugs' and diseases' names beside "my back" 0.31-0.47, and up to 0.51 in "should I take
# <drug> for this?", which names_a_drug catches by the word's place, not by similarity
# endings of diseases' and drugs' names (-osis, -itis, -ine, -pril...): such a word is never taken as incidental
MEDICAL_FORM = re.compile(r"(osis|itis|emia|aemia|algia|pathy|oma|ectomy|plasty|ine|ol|am|pril|sartan|statin|mab|cillin"
                          r"|mycin|azole|ide|one|ex|ax|ic|ia)$")
MEDICAL_ZIPF = 4.0  # ...among words rarer than this ("define" is not a drug)
CAUSE_VERB = r"(\s+\w+){0,2}\s+(cause|caused|causing|causes (this|it|my|the)|lead to|leads to|led to|trigger\w*)\b"
# "should I take wellbutrin", "a dose of oxycontin", "I'm on synthroid", "can synthroid help": the word is a drug's name
TAKEN = (r"\b(take|takes|taking|took|try|trying|tried|prescribed|doses? of|mg of|(i'm|i am|been|currently|already|still)"
         r" on)\s+(some\s+)?{w}\b|\b{w}\s+(help|helps|helped|work|works|worked)\b")
RRF_K = 10  # small k: the first few ranks of each retriever matter most on a 200-chunk corpus


def names_a_cause(word: str, question: str) -> bool:
    """'can shingles cause this?': the word is the subject of a causing verb, the cause asked about."""
    return bool(re.search(rf"\b{re.escape(word)}\b{CAUSE_VERB}", question, re.IGNORECASE))


def names_a_drug(word: str, question: str) -> bool:
    """'should I take wellbutrin for this?': the word is what is taken, a drug the article does not list."""
    return bool(re.search(TAKEN.format(w=re.escape(word)), question, re.IGNORECASE))


def in_scope(query, best_dense: float, threshold: float) -> bool:  # type: ignore[no-untyped-def]
    """The out-of-scope decision. A topic the article never covers (costs) is out. An uncommon word the article
    never uses (another disease or drug) is out unless the question names an entry: similarity cannot tell
    "recovery after a knee replacement" from the article's own recovery FAQ, so the word decides.
    Otherwise the question must pass the calibrated similarity threshold."""
    if query.excluded:
        return False
    # one unknown word, or a small share of them ("does fixing my posture matter?")
    few = len(query.foreign) <= max(1.0, FOREIGN_SHARE * query.content_words)
    # a part of an entry's name ("numb" of Groin Numbness) does not outweigh "carpal tunnel in my wrist";
    # it does outweigh one misspelt word ("straight leg rase test")
    # a long rare word beside a named drug is another drug's name ("duloxetine together with warfarin"): the pair
    # is not the article's subject (short rare words are typos: "rase", "wich")
    other_name = any(len(w) >= NAME_LENGTH and base_zipf(w) < REAL_WORD_ZIPF for w in query.foreign)
    named = (query.entries and not other_name and (
        query.named_full or (query.named_directly and few and not query.compares))) or (query.faq and not other_name)
    if query.foreign and not named:
        # a patient's story about their back may mention a warehouse or a toddler; a question about
        # another disease rarely names the spine, and its unknown word is most of what it says
        # ...but "does kidney stone pain feel the same as this?" asks about the other condition
        incidental = (
            not query.compares
            and (query.anchored or query.advice or query.lay or query.lists_article or query.term)
            # "a ton of coffee and energy drinks ... on long hauls": as many lay phrases as unknown words
            and (few or len(query.lay) >= len(query.foreign))
            # "can shingles cause this?": the unknown word is the cause asked about; "lupus", "anaemia" are shaped
            # like a disease's name
            and not any(names_a_cause(w, query.question) or names_a_drug(w, query.question) or (MEDICAL_FORM.search(w) and english_zipf(w) < MEDICAL_ZIPF)
                        for w in query.foreign)
            and (min(base_zipf(w) for w in query.foreign) >= REAL_WORD_ZIPF  # a drug or disease name never is
                 # ...a rarer word is incidental only when the rest of the question reads very close to the article
                 # ("I sit in the recliner all day, bad for this?"); a drug's or disease's name leaves it far
                 or (sum(base_zipf(w) < REAL_WORD_ZIPF for w in query.foreign) == 1 and best_dense >= CLOSE_DENSE))
        )
        if not incidental:
            return False
    if query.entries or (query.intent in ("list", "count") and query.section):
        return True
    # a lay phrase from the synonym table, or a patient asking about their own back, is evidence the
    # question is about the article's topics
    return best_dense >= (LAY_FACTOR * threshold if query.lay or query.advice or query.anchored else threshold)


class Retriever:
    """Holds the index and the query encoder; search() ranks chunks for one question."""

    def __init__(self, index: Index, encode: Callable[[list[str]], np.ndarray]) -> None:
        self.index = index
        self.encode = encode
        self.n = len(index.chunks)

    def dense_scores(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of the question with every chunk, via the exact FAISS inner-product index."""
        sims, ids = self.index.faiss.search(vector.reshape(1, -1).astype(np.float32), self.n)
        out = np.full(self.n, -1.0, dtype=np.float32)
        out[ids[0]] = sims[0]
        return out

    def lexical_scores(self, text: str) -> np.ndarray:
        return np.asarray(self.index.bm25.get_scores(tokenize_for_bm25(text)), dtype=np.float32)

    def search(
        self,
        vector: np.ndarray,
        lexical_text: str,
        k: int = 5,
        keep: Callable[[Chunk], bool] | None = None,
    ) -> list[Hit]:
        """Fuse dense and lexical rankings (reciprocal rank fusion); keep only chunks passing `keep`."""
        dense = self.dense_scores(vector)
        lex = self.lexical_scores(lexical_text)
        allowed = np.array([keep is None or keep(c) for c in self.index.chunks])
        if not allowed.any():
            return []
        fused = np.zeros(self.n, dtype=np.float64)
        for scores in (dense, lex):
            masked = np.where(allowed, scores, -np.inf)
            order = np.argsort(-masked, kind="stable")
            ranks = np.empty(self.n, dtype=np.float64)
            ranks[order] = np.arange(1, self.n + 1)
            contrib = 1.0 / (RRF_K + ranks)
            if scores is lex:
                contrib[lex <= 0] = 0.0  # no shared word is no lexical evidence at all
            fused += contrib
        fused[~allowed] = -np.inf
        top = np.argsort(-fused, kind="stable")[: min(k, int(allowed.sum()))]
        return [Hit(self.index.chunks[i], float(fused[i]), float(dense[i]), float(lex[i])) for i in top]


def calibrate(index: Index, encode: Callable[[list[str]], np.ndarray], understander, offtopic: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Place the similarity threshold from probes: questions built from the article's own entry titles and
    headings (answerable) against the off-topic questions in corpus/offtopic.list (not answerable).

    Off-topic probes that the rules already reject are set aside; the threshold is the lowest value that
    still rejects every remaining one (plus a small margin), never above the answerable probes' 2nd percentile.
    """
    answerable = sorted({f"What is {c.title}?" for c in index.chunks if c.kind == "entry" and len(c.title) < 60}
                        | {f"Tell me about {c.section[-1]}" for c in index.chunks})
    unanswerable = [ln.strip() for ln in offtopic.read_text(encoding="utf-8").splitlines()
                    if ln.strip() and not ln.startswith("#")] if offtopic.exists() else []
    retriever = Retriever(index, encode)

    def best_dense(questions: list[str]) -> tuple[np.ndarray, list]:  # type: ignore[type-arg]
        queries = [understander.read(q, 2000) for q in questions]
        vecs = encode([q.text for q in queries]) if queries else np.zeros((0, index.vectors.shape[1]), np.float32)
        return np.asarray([float(retriever.dense_scores(v).max()) for v in vecs]), queries

    pos, _ = best_dense(answerable)
    neg, neg_q = best_dense(unanswerable)
    ceiling = float(np.percentile(pos, 2))
    left = [float(d) for d, q in zip(neg, neg_q, strict=True) if in_scope(q, float(d), -1.0)]
    threshold = min(max(left) + 0.01, ceiling) if left else ceiling * 0.6
    return {
        "threshold": round(threshold, 4),
        "answerable_probes": len(pos),
        "answerable_p2": round(ceiling, 4),
        "offtopic_probes": len(neg),
        "offtopic_left_to_threshold": len(left),
        "offtopic_max_left": round(max(left), 4) if left else None,
        "answerable_below": int((pos < threshold).sum()),
    }
