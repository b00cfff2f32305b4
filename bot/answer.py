"""Answer stage: choose verbatim article sentences or entries, cite them, add urgency and the disclaimer."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .query import Query
from .schema import PATH_SEP, Answer, Chunk, Hit, Source

AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:[–-]\s*(\d+(?:[.,]\d+)?)\s*)?(mg|g|mcg|iu|ml)\b", re.IGNORECASE)
NOT_A_TOPIC = ("Disclaimer", "Introduction")  # never offered as "closest topics": they are not topics
FIGURE = re.compile(r"\d\s*(%|mg|g|mcg|iu|ml|mm|cm|minutes?|hours?|days?|weeks?|months?|years?)(?![a-z])", re.IGNORECASE)
FIGURE_WINDOW = 4  # how far down the ranking a second figure of the same kind is still quoted
MAX_BODY = 800  # characters of a non-list answer body (disclaimer aside)
ITEM_CHARS = 90
WHOLE_ITEM_CHARS = 120  # a list line: entry title + its first clause, cut to this

# Connectives: the only words an answer adds to article text.
SAYS = "The article says ({cite}):"
LISTS = "The article lists {n} entries under *{section}*:"
COUNTS = "The article lists **{n}** entries under *{section}*:"
NOT_COVERED = "The article does not cover this question, so I can't answer it from the article."
CLOSEST = "Closest topics the article does cover:"
COUNTS_TAGGED = "The article lists **{n}** entries marked *{tag}* under *{section}*:"
LISTS_TAGGED = "The article lists {n} entries marked *{tag}* under *{section}*:"
SUBGROUPS = "The article divides *{section}* into **{n}** groups:"
URGENT = "**Seek medical attention** — the article's advice for these symptoms ({cite}):"
DOSE_ABOVE = "The article does not state a dose that high. What it states ({cite}):"
DOSE_CHECK = "Doses must be confirmed with a clinician or pharmacist before taking them; this article is not a prescription."
EMPTY = "Please type a question about posterolateral neural foraminal narrowing at L1–L2."
TEMPLATES = (SAYS, LISTS, COUNTS, NOT_COVERED, CLOSEST, URGENT, DOSE_ABOVE, DOSE_CHECK, EMPTY, COUNTS_TAGGED,
             LISTS_TAGGED, SUBGROUPS)
# ("the physio and exercise kind of stuff": "kind of" is a filler there, not a request for the groups)
GROUPS_CUE = re.compile(r"\b(groups?|categor(y|ies)|kinds?|types?|sections?|parts?|classes)\b(?! of (stuff|things?)\b)",
                        re.IGNORECASE)


@dataclass(frozen=True)
class Context:
    """Article-wide facts the composer needs besides the hits."""

    disclaimer: str
    urgent_chunk: Chunk | None
    sections: dict[tuple[str, ...], list[Chunk]]
    lead_ins: dict[str, list[Chunk]]  # id of a paragraph ending in ":" -> the entries it introduces
    groups: dict[str, list[Chunk]]  # paragraph group id -> its sentences in order
    by_id: dict[str, Chunk]


def quote_block(text: str) -> str:
    return "> " + text


def prose_quote(chunk: Chunk, hits: list[Hit], ctx: Context, budget: int = 420) -> str:
    """The hit sentence, widened to neighbouring sentences of its paragraph that also ranked, or that a short
    sentence needs for context; always one contiguous slice of the article."""
    group = ctx.groups.get(chunk.group, [chunk])
    i = group.index(chunk) if chunk in group else 0
    ranked = {h.chunk.id for h in hits[:5]}
    lo = hi = i
    while hi + 1 < len(group) and group[hi + 1].id in ranked:
        hi += 1
    while lo > 0 and group[lo - 1].id in ranked:
        lo -= 1
    text = " ".join(c.text for c in group[lo : hi + 1])
    if len(text) < 110 and hi + 1 < len(group) and not text.endswith(":"):
        text = f"{text} {group[hi + 1].text}"
    if len(text) > budget:
        text = chunk.text
    return text


def first_clause(c: Chunk) -> str:
    """A list line's gloss: the entry body up to its first ';' or sentence end, cut at a word."""
    body = c.text
    if len(body) <= WHOLE_ITEM_CHARS:  # short entries ("Do …; Avoid …") read wrong when cut
        return body
    clause = re.split(r";\s|(?<=\.)\s", body, maxsplit=1)[0]
    if len(clause) > ITEM_CHARS:
        clause = clause[:ITEM_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return clause


def entry_quote(c: Chunk) -> tuple[str, list[str]]:
    """Markdown for one whole entry, and the article fragments it states."""
    if c.quote == c.text and c.kind == "entry" and not c.text.startswith(c.title):
        return f"**{c.title}** — {c.text}", [c.title, c.text]
    return c.quote, [c.quote]


def _source(hit_or_chunk: Hit | Chunk, quote: str, score: float = 1.0) -> Source:
    c = hit_or_chunk.chunk if isinstance(hit_or_chunk, Hit) else hit_or_chunk
    s = hit_or_chunk.score if isinstance(hit_or_chunk, Hit) else score
    return Source(c.section_path, c.title, quote, s)


def figure_units(text: str) -> set[str]:
    """The units of the figures a sentence states ("%", "mg", "weeks")."""
    return {m.group(1).lower().rstrip("s") for m in FIGURE.finditer(text)}


def amounts(text: str) -> dict[str, float]:
    """Largest stated amount per unit, in mg for g."""
    out: dict[str, float] = {}
    for m in AMOUNT.finditer(text):
        unit = m.group(3).lower()
        vals = [float(v.replace(",", "")) for v in (m.group(1), m.group(2)) if v]
        if unit == "g":
            unit, vals = "mg", [v * 1000 for v in vals]
        out[unit] = max(out.get(unit, 0.0), *vals)
    return out


def compose(query: Query, hits: list[Hit], in_scope: bool, flags: tuple[str, ...], ctx: Context) -> Answer:
    """Build the Answer for a read question and its ranked hits."""
    parts: list[str] = []
    quotes: list[str] = []
    sources: list[Source] = []
    urgent = bool(flags)
    if urgent and ctx.urgent_chunk is not None:
        u = ctx.urgent_chunk
        parts += [URGENT.format(cite=u.citation), quote_block(u.text)]
        quotes.append(u.text)
        sources.append(_source(u, u.text))
    if query.notice:
        parts.insert(0, f"*{query.notice}*")

    abstained = False
    suggestions: tuple[str, ...] = ()
    if not query.question.strip():
        parts.append(EMPTY)
        abstained = True
    elif not in_scope and (not urgent or query.excluded):
        # an urgent report is answered even when it reads unlike the article, but "my L5-S1 ... foot drop" gets the
        # urgent advice and then says plainly that another level (or a topic the article lacks) is not covered
        abstained = True
        parts.append(NOT_COVERED)
        seen: list[str] = []
        for h in hits:
            cite = h.chunk.citation
            if cite not in seen and h.chunk.section[0] not in NOT_A_TOPIC:
                seen.append(cite)
        suggestions = tuple(seen[:3])
        if suggestions:
            parts.append("\n".join([CLOSEST, *(f"- {s}" for s in suggestions)]))
    elif query.intent in ("list", "count") and query.section and not query.narrowed:
        entries = [ctx.by_id[i] for i in query.group] if query.group else ctx.sections[query.section]
        section = PATH_SEP.join(query.section)
        quotes += list(query.section)  # headings are article lines too
        subs = sorted({e.section[: len(query.section) + 1] for e in entries if len(e.section) > len(query.section)})
        if query.group:
            quotes.append(query.group_name)
            head = (COUNTS_TAGGED if query.intent == "count" else LISTS_TAGGED).format(
                n=len(entries), tag=query.group_name, section=section)
        elif query.intent == "count" and len(subs) > 1 and GROUPS_CUE.search(query.question):
            quotes += [p[-1] for p in subs]
            head = SUBGROUPS.format(n=len(subs), section=section)
            parts.append("\n".join([head, *(f"- {p[-1]}" for p in subs)]))
            entries = []
        else:
            head = (COUNTS if query.intent == "count" else LISTS).format(n=len(entries), section=section)
        if entries and query.intent == "count":
            parts.append("\n".join([head, ", ".join(e.title for e in entries)]))
            quotes += [e.title for e in entries]
        elif entries:
            parts.append("\n".join([head, *_list_lines(entries, quotes)]))
        sources += [_source(e, first_clause(e)) for e in (entries or ctx.sections[query.section])[:8]]
    elif hits:
        spent = sum(len(p) + 2 for p in parts)  # an urgent block already took part of the length budget
        if urgent and ctx.urgent_chunk is not None:  # ...and is not quoted a second time
            hits = [h for h in hits if h.chunk.id != ctx.urgent_chunk.id] or hits
        parts += _lookup(query, hits, quotes, sources, ctx, used=spent)
    if query.intent == "dose" and not abstained:
        parts.append(DOSE_CHECK)
    return Answer(
        question=query.question,
        answer="\n\n".join(p for p in parts if p),
        sources=tuple(sources),
        abstained=abstained,
        urgent=urgent,
        disclaimer=ctx.disclaimer,
        intent=query.intent,
        quotes=tuple(quotes),
        suggestions=suggestions,
        notice=query.notice,
    )


def _list_lines(entries: list[Chunk], quotes: list[str]) -> list[str]:
    """One compact line per entry: its title and the first clause of its body."""
    lines = []
    for e in entries:
        gloss = first_clause(e)
        if e.quote.startswith(e.title) and e.quote.endswith(e.text) and e.quote != e.text:
            lead = e.quote[: len(e.quote) - len(e.text)]  # "Title: " or "Question? ", exactly as in the article
            lines.append(f"- {lead}{gloss}")
            quotes.append(f"{lead}{gloss.rstrip('…')}".rstrip())
        elif e.text.startswith(e.title):
            lines.append(f"- {gloss}")
            quotes.append(gloss.rstrip("…"))
        else:
            lines.append(f"- **{e.title}** — {gloss}")
            quotes += [e.title, gloss.rstrip("…")]
    return lines


def _lookup(query: Query, hits: list[Hit], quotes: list[str], sources: list[Source], ctx: Context,
            used: int = 0) -> list[str]:
    """One or two best chunks, quoted: whole entries, or the best sentences of a paragraph."""
    parts: list[str] = []
    opener = hits[0].chunk
    if opener.id in ctx.lead_ins and query.intent != "dose":  # "...include:" introduces the entries after it
        entries = ctx.lead_ins[opener.id]
        quotes.append(opener.text)
        sources.append(_source(hits[0], opener.text))
        sources += [_source(e, first_clause(e)) for e in entries[:2]]
        intro = [SAYS.format(cite=opener.citation), quote_block(opener.text)]
        if query.intent == "count":
            quotes += [e.title for e in entries]
            return [*intro, "\n".join([COUNTS.format(n=len(entries), section=opener.section_path),
                                        ", ".join(e.title for e in entries)])]
        return [*intro, "\n".join(_list_lines(entries, quotes))]
    chosen = [hits[0]]
    top = hits[0]
    # a second chunk when it is nearly as good and adds something (e.g. the same topic in another section)
    if len(hits) > 1 and query.intent != "dose":
        second = hits[1]
        same_paragraph = bool(top.chunk.group) and second.chunk.group == top.chunk.group
        closer = second.dense >= top.dense - 0.05 or second.lexical > top.lexical  # each wins one signal
        if second.score >= 0.85 * top.score and closer and not same_paragraph:
            chosen.append(second)
        elif query.wants == "figure":  # "by what percent can it shrink?": every figure of that kind the best hits state
            chosen += [h for h in hits[1:FIGURE_WINDOW] if h.chunk.group != top.chunk.group
                       and figure_units(h.chunk.text) & figure_units(top.chunk.text)][:1]
    if query.intent == "dose":
        named = [h for h in hits if h.chunk.id in query.entries] or [top]
        chosen = named[:1]
        if query.advice and top.chunk.id not in query.entries and top is not named[0]:
            chosen = [top, named[0]]  # "can I keep taking high doses on my own?": the do/avoid line, then the dose
    for h in chosen:
        c = h.chunk
        if c.kind == "entry":
            text, frags = entry_quote(c)
        else:
            text = prose_quote(c, hits, ctx)
            frags = [text]
        lead = SAYS.format(cite=c.citation)
        if used + len(text) + len(lead) > MAX_BODY - (len(DOSE_CHECK) if query.intent == "dose" else 0) and (used or parts):
            break
        used += len(text) + len(lead) + 6  # "> " before the quote, a blank line after the lead and after the quote
        if query.intent == "dose":
            asked = amounts(query.question)
            stated = amounts(c.text)
            if any(unit in stated and v > stated[unit] for unit, v in asked.items()):
                lead = DOSE_ABOVE.format(cite=c.citation)
        parts += [lead, quote_block(text)]
        quotes += frags
        sources.append(_source(h, text))
    for h in hits[len(chosen) : 3]:
        c = h.chunk
        sources.append(_source(h, c.quote))
    return parts
