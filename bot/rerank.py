"""Rerank stage: reorder the fused hits by what the question asks for (a named entry, a figure, advice, a term)."""
from __future__ import annotations

import re
from collections.abc import Callable

from .query import Query, Understander
from .schema import Chunk, Hit

# what a sentence must state to answer a question that wants a figure or a place
STATES = {
    "figure": re.compile(r"(?<![A-Za-z\d])\d"),  # a number, not the digit of a level name ("L1")
    "place": re.compile(r"\b(toward|towards|radiat\w*|travel\w*|into the|to the (groin|thigh|leg|abdomen))\b"),
}
STATES["duration"] = re.compile(r"\b(minutes?|hours?|days?|weeks?|months?|years?)\b")
# the process by which a squeezed nerve hurts: told in the prose, never in a list entry
STATES["mechanism"] = re.compile(r"\b(blood (flow|supply)|ischemi\w*|mechanical pressure|impulse conduction|nerve signal\w*)\b")
PROSE_ONLY = frozenset({"mechanism"})
STATES_BONUS = 0.05  # about the fused-score gap between the first and fifth rank
NAME_NUDGE = 0.02  # a distinctive word of an entry's name: a nudge, not a verdict
ADVICE_WORDS = 0.5  # weight of shared words beside meaning when choosing among do/avoid lines
WINDOW = 5  # how far down the ranking an advice line or a named cause may still be the answer
ADVICE_CLOSENESS = 0.7  # ...an advice line found by similarity must reach this share of the best hit's


def states(wants: str, chunk: Chunk) -> bool:
    """Whether the chunk states what the question wants (a figure, a place, a length of time, the process)."""
    return bool(STATES[wants].search(chunk.text)) and not (wants in PROSE_ONLY and chunk.kind == "entry")


def rerank(q: Query, hits: list[Hit], pin: Callable[[str], Hit], tables: Understander) -> list[Hit]:
    """Reorder hits for the question; `pin(chunk_id)` makes a hit for a chunk retrieval did not rank."""
    if q.causal and q.section and not q.entries:  # "could my job have caused this?": an entry of Causes answers
        sec = q.section
        # the cause asked about is named in the patient's words ("bending and twisting"): lexical match decides
        inside = sorted((h for h in hits[:WINDOW] if h.chunk.section[: len(sec)] == sec), key=lambda h: -h.lexical)
        hits = inside + [h for h in hits if h not in inside]
    if q.entries and not q.named_full:
        bonus = {cid: NAME_NUDGE for cid in q.entries}
        hits = sorted(hits, key=lambda h: -(h.score + bonus.get(h.chunk.id, 0.0)))
    elif q.entries:  # a named entry outranks whatever merely resembles the question
        named = {cid: i for i, cid in enumerate(q.entries)}
        present = {h.chunk.id for h in hits}
        hits = hits + [pin(cid) for cid in q.entries if cid not in present]
        hits = sorted(hits, key=lambda h: (h.chunk.id not in named, named.get(h.chunk.id, 0), -h.score))
    if q.wants and not q.named_full:  # "how much": a sentence stating a figure answers; one without cannot
        wants = q.wants
        hits = sorted(hits, key=lambda h: -(h.score + (STATES_BONUS if states(wants, h.chunk) else 0.0)))
    if q.wants in PROSE_ONLY and hits and not q.named_full:
        hits = process_first(q, hits, pin, tables)
    if q.advice and hits:
        hits = advice_first(q, hits, pin, tables)
    if q.faq:  # the question restates an FAQ question: the article's answer to it comes first
        hits = [pin(q.faq), *(h for h in hits if h.chunk.id != q.faq)]
    if q.term:  # the sentence defining the term asked about comes first
        hits = [pin(q.term), *(h for h in hits if h.chunk.id != q.term)]
    return hits


def advice_first(q: Query, hits: list[Hit], pin: Callable[[str], Hit], tables: Understander) -> list[Hit]:
    """'Can I take extra ibuprofen on my own?', 'heat or ice before exercise?': the article's do/avoid line on
    it answers first. For a named drug or therapy, the line that names it (or its class: "NSAIDs" for
    Ibuprofen (NSAID)); else a line in the top five that reads nearly as close as the best hit."""
    lines = [pin(cid) for cid in tables.advice_lines(q.entries, q.text)]
    if lines:
        line = max(lines, key=lambda h: h.dense)
    else:
        near = [h for h in hits[:WINDOW] if h.chunk.section in tables.advice_sections]
        if not near or near[0] is hits[0]:
            return hits
        # closest in meaning and in words together: "flaring up" -> the line on flare-ups, not the one on lifting
        top_dense, top_lex = max(h.dense for h in near), max(h.lexical for h in near) or 1.0
        line = max(near, key=lambda h: h.dense / top_dense + ADVICE_WORDS * h.lexical / top_lex)
        if line.dense < ADVICE_CLOSENESS * max(h.dense for h in hits):
            return hits
    return [line, *(h for h in hits if h.chunk.id != line.chunk.id)]


def process_first(q: Query, hits: list[Hit], pin: Callable[[str], Hit], tables: Understander) -> list[Hit]:
    """'Why does a squashed nerve hurt?': the prose sentence telling the process answers first, the closest one
    in the article when it reads nearly as close as the best hit (the generic 'leading to pain' lines rank higher)."""
    if states(q.wants, hits[0].chunk):
        return hits  # retrieval (with the bonus above) already put one first
    lines = [pin(c.id) for c in tables.chunks.values() if states(q.wants, c)]
    if not lines:
        return hits
    line = max(lines, key=lambda h: h.dense)
    if line.dense < ADVICE_CLOSENESS * max(h.dense for h in hits):
        return hits
    return [line, *(h for h in hits if h.chunk.id != line.chunk.id)]


def states_what_is_asked(q: Query, hits: list[Hit]) -> bool:
    """False when the question wants a length of time and none of the best three hits states one: "how long does an
    MRI take?" is not answered by the MRI entry, which says what it shows, not how long it takes."""
    if q.wants != "duration":
        return True
    return any(states("duration", h.chunk) for h in hits[:3])
