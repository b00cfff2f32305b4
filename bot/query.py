"""Question stage: clean, correct and expand a question, find what it names, resolve follow-ups from history."""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from .cues import (
    ACRONYM_ZIPF,
    ADVICE_CUE,
    ADVICE_HEADING,
    ALL_CUE,
    ANAPHORA,
    CAUSAL_CUE,
    CLASSIFIER,
    CLAUSE_CUE,
    COMPARE_CUE,
    COMPARE_REACH,
    CONTROL,
    COUNT_CUE,
    DEFINE_CUE,
    DEFINITION,
    DERIVED_PREFIX,
    DOSE_CUE,
    DOSE_PATTERN,
    GENERIC_NAME_WORDS,
    IN_LAW,
    INTERACTION,
    LEVEL,
    LIST_CUE,
    LIST_OBJECT,
    MINE,
    MODAL_VERB,
    PICK_CUE,
    POINTS_BACK,
    QUALIFIER,
    QUOTED,
    RECIPIENT,
    REGION_SYMPTOM,
    REPORT_SOURCE,
    SELF_STATES,
    SINGLE_CUE,
    SUBJECT_CUE,
    SUBJECT_LINK,
    TOUCH_TOES,
    WANTS,
)
from .lexicon import (
    FOREIGN_FLOOR,
    FOREIGN_SHARE,
    FOREIGN_ZIPF,
    STOPWORDS,
    Synonym,
    Vocabulary,
    base_zipf,
    english_zipf,
    fold,
    misspelt_common,
    stem,
    words,
)
from .schema import Chunk, Hit


@dataclass(frozen=True)
class Query:
    """A question made ready for retrieval and answering."""

    question: str  # as asked, cleaned of control characters and bounded
    text: str  # corrected and expanded: what the retrievers see
    intent: str  # "count" | "list" | "dose" | "lookup"
    section: tuple[str, ...] | None  # a section the question is about (lists, counts, "which one" follow-ups)
    entries: tuple[str, ...]  # ids of entries the question names, best first
    known: float  # share of content words the article or synonym table knows
    foreign: tuple[str, ...] = ()  # uncommon words the article never uses (a disease, drug, place it lacks)
    excluded: tuple[str, ...] = ()  # words of topics the article never covers (costs, insurance)
    lay: tuple[str, ...] = ()  # lay phrases of the synonym table found in the question
    named_full: bool = False  # the best entry name is present in full (not just a distinctive word of it)
    defines: bool = False  # "what is <the article's subject>?": the lead paragraph answers
    narrowed: bool = False  # a "which one ..." question: rank only inside `section`
    notice: str = ""
    resolved_from: str = ""  # the earlier question a follow-up took its subject from
    advice: bool = False  # "should I / is it ok to / my back ...": the patient asks about their own condition
    anchored: bool = False  # names the article's subject (spine, nerve, this narrowing): unknown words are incidental
    group: tuple[str, ...] = ()  # entries sharing a tag the question names ("muscle relaxants")
    group_name: str = ""
    content_words: int = 0
    named_directly: bool = False  # an entry is named by the question's own words, not only through a synonym
    wants: str = ""  # the kind of answer asked for: "figure" ("how much smaller?"), "place" ("where does it go?")
    term: str = ""  # id of the article sentence defining the term the question asks the meaning of
    causal: bool = False  # "could X have caused this?": asks whether something is a cause of the condition
    compares: bool = False  # "does X feel the same as this?": sets this condition beside something else
    lists_article: bool = False  # asks for one of the article's lists, unknown words being mere modifiers
    faq: str = ""  # id of the FAQ entry whose question this one restates ("do I have to have an operation?")


def heading_variants(head: str) -> list[list[str]]:
    """A heading's words, and for "X and Y Z" / "X & Y Z" each conjunct with the shared tail: naming
    either one ("electrotherapy options") names the heading."""
    out = [words(head)]
    parts = re.split(r"\s+(?:and|&)\s+", head)
    if len(parts) == 2:
        first, second = words(parts[0]), words(parts[1])
        out += [first + second[1:], second]
    return out


def clean(text: str, limit: int) -> tuple[str, str]:
    """Strip control characters and bound the length; return (text, notice)."""
    text = CONTROL.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > limit:
        return text[:limit], f"Your question was shortened to its first {limit} characters."
    return text, ""


class Understander:
    """Article-derived tables (vocabulary, entry names, section headings) used to read questions."""

    def __init__(self, chunks: list[Chunk], synonyms: tuple[Synonym, ...], not_covered: frozenset[str] = frozenset(),
                 anchors: frozenset[str] = frozenset(), dose_populations: frozenset[str] = frozenset()) -> None:
        self.chunks = {c.id: c for c in chunks}
        self.dose_populations = dose_populations
        self.lay_words = {w for s in synonyms for w in s.phrase}
        # a one-word lay phrase's article words, stemmed ("medications" -> pharmacological, treatment...)
        self.word_swaps: dict[str, set[str]] = {}
        for syn in synonyms:
            if len(syn.phrase) == 1:
                self.word_swaps.setdefault(syn.phrase[0], set()).update(stem(x) for x in words(syn.expansion))
        # a misspelt lay word ("cofee") is corrected to the synonym table's word, as article words are
        self.vocab = Vocabulary([f"{c.title} {c.text} {' '.join(c.section)}" for c in chunks], sorted(self.lay_words))
        self.not_covered = frozenset(w for w in not_covered if " " in w or w not in self.vocab)
        self.anchors = anchors
        self.synonyms = synonyms
        self.vocab_stems = {stem(w) for w in self.vocab.freq}
        self.prefixes = {w[:DERIVED_PREFIX] for w in self.vocab.freq if len(w) >= DERIVED_PREFIX + 1}
        self.sections = self._list_sections(chunks)
        self.dosed = self._dosed_sections(chunks)
        self.names = self._entry_names(chunks)
        # "(MRI)" after "Magnetic Resonance Imaging" is that entry's own short name, even if MRI recurs elsewhere
        tagged = [(c.id, a) for c in chunks if c.kind == "entry" for a in re.findall(r"\(([A-Z][A-Z0-9-]{1,7})\)", c.title)]
        tag_count = Counter(a for _, a in tagged)  # "(NSAID)" on five drugs is a class label, not a name
        tag_members: dict[str, list[str]] = {}
        for c in chunks:
            if c.kind == "entry":
                for tag in re.findall(r"\(([^()]+)\)", c.title):
                    tag_members.setdefault(tag, []).append(c.id)
        self.tags = {t: ids for t, ids in tag_members.items() if len(ids) >= 2}
        self.acronyms = {(cid, tuple(stem(w) for w in words(a))) for cid, a in tagged if tag_count[a] == 1}
        per_entry: dict[str, set[str]] = {}
        for cid, ws in self.names:
            per_entry.setdefault(cid, set()).update(ws)
        self.name_df = Counter(w for ws in per_entry.values() for w in ws)  # in how many entries' names
        self.lead_ins = self._lead_ins(chunks)
        lead = next((c for c in chunks if c.kind == "prose"), None)  # the article's opening sentence names its subject
        self.topic_stems = {stem(w) for w in words(lead.text.split(" refers to ")[0])[:12]} - {stem(w) for w in STOPWORDS} if lead else set()
        self.topic_stems |= {"mean", "condit", "diagnosi", "exact", "exactli", "word", "term"}
        for tag, ids in self._shared_phrases(chunks).items():
            self.tags.setdefault(tag, ids)
        self.groups: dict[str, list[Chunk]] = {}
        for c in chunks:
            if c.group:
                self.groups.setdefault(c.group, []).append(c)
        self.heading_words = {stem(w) for path in self.sections for h in path for w in words(h)}
        # sections of everyday advice ("What to Do and What to Avoid", "Prevention Strategies")
        self.advice_sections = {c.section for c in chunks if ADVICE_HEADING.search(" ".join(c.section))}
        self.advice_stems = {c.id: {stem(w) for w in words(c.text)} for c in chunks if c.section in self.advice_sections}
        self.levels = {f"{a}{n}".lower() for c in chunks for a, n in LEVEL.findall(c.text)}  # the article's: L1, L2
        self.terms = [(c.id, {stem(w) for w in words(m.group(1)) if w not in STOPWORDS})
                      for c in chunks if c.kind == "prose" and (m := DEFINITION.match(c.text))]

    def find_term(self, question: str, toks: list[str]) -> tuple[str, int]:
        """The defining sentence for the term a 'what does X mean?' question asks about (or a quoted term), and how
        many of the term's words the question names; at least half of the term must be named."""
        # "My report says '<diagnosis>'. What does the posterolateral bit mean?": the sentence that asks names the term
        asking = [p for p in re.split(r"(?<=[.!?])\s+", question) if DEFINE_CUE.search(" ".join(words(p)))]
        if asking and len(asking[-1]) < len(question):
            question, toks = asking[-1], self.correct(asking[-1])
        quoted = QUOTED.findall(question)
        if not (quoted or DEFINE_CUE.search(" ".join(toks))):
            return "", 0
        have = {stem(w) for w in (words(" ".join(quoted)) if quoted else toks) if w not in STOPWORDS}
        best, key = "", (0.0, 0)
        for cid, ws in self.terms:
            hit = len(ws & have)
            if ws and 2 * hit >= len(ws) and (hit / len(ws), hit) > key:
                best, key = cid, (hit / len(ws), hit)
        return best, key[1]

    def advice_lines(self, entries: tuple[str, ...], text: str) -> list[str]:
        """Do/avoid and prevention lines that name one of these entries as the question does, or its class
        ("NSAIDs" for Ibuprofen (NSAID))."""
        asked = {stem(w) for w in words(text)}
        names = {stem(w) for cid in entries for w in words(self.chunks[cid].title) if w not in STOPWORDS}
        # a word only this entry's name has, that the question uses ("yoga", not "gentle" of Gentle Hatha)
        names = {w for w in names if self.name_df[w] == 1 and w in asked}
        names |= {stem(w) for cid in entries for t in self.tags if cid in self.tags[t] for w in words(t)}
        names -= GENERIC_NAME_WORDS
        return [cid for cid, ws in self.advice_stems.items() if names & ws]

    def other_levels(self, text: str) -> tuple[str, ...]:
        """Spinal levels the question names when none of them is one the article is about ("my C5-C6 disc")."""
        named = tuple(f"{a}{n}".lower() for a, n in LEVEL.findall(text))
        return () if not named or set(named) & self.levels else named

    # ---- tables built once from the article -------------------------------------------------------------
    @staticmethod
    def _list_sections(chunks: list[Chunk]) -> dict[tuple[str, ...], list[Chunk]]:
        out: dict[tuple[str, ...], list[Chunk]] = {}
        for c in chunks:
            if c.kind != "entry":
                continue
            for depth in range(1, len(c.section) + 1):
                out.setdefault(c.section[:depth], []).append(c)
        return out

    @staticmethod
    def _lead_ins(chunks: list[Chunk]) -> dict[str, list[Chunk]]:
        """Paragraphs ending in ':' and the entries that follow them, up to the next paragraph."""
        out: dict[str, list[Chunk]] = {}
        for i, c in enumerate(chunks):
            if c.kind == "prose" and c.text.endswith(":"):
                following = []
                for d in chunks[i + 1 :]:
                    if d.kind != "entry" or d.section != c.section or d.doc != c.doc:
                        break
                    following.append(d)
                if following:
                    out[c.id] = following
        return out

    def _dosed_sections(self, chunks: list[Chunk]) -> set[tuple[str, ...]]:
        return {
            path
            for path, entries in self.sections.items()
            if sum(bool(DOSE_PATTERN.search(e.text)) for e in entries) >= 0.6 * len(entries)
        }

    @staticmethod
    def _entry_names(chunks: list[Chunk]) -> list[tuple[str, list[str]]]:
        """(chunk id, stemmed name words) for every way an entry can be named: title, base name, acronym."""
        out = []
        for c in chunks:
            if c.kind != "entry" or len(c.title.split()) > 7 or c.title.endswith("?"):
                continue
            variants = {c.title, re.sub(r"\s*\(.*?\)", "", c.title)}
            for inner in re.findall(r"\((.*?)\)", c.title):
                variants.add(inner)
            for part in re.split(r"[/&]| or ", re.sub(r"\s*\(.*?\)", "", c.title)):
                if len(part.split()) >= 2:  # "Hip/Groin Numbness": one word alone names too much
                    variants.add(part)
            for v in variants:
                ws = [stem(w) for w in words(v) if w not in STOPWORDS]
                if ws:
                    out.append((c.id, ws))
            # the initials patients and clinicians use: "PRP" for Platelet-Rich Plasma, "LLLT" for Low-Level Laser Therapy
            base = re.sub(r"\s*\(.*?\)", "", c.title)
            initials = "".join(w[0] for w in words(base) if w not in STOPWORDS)
            proper = all(w[:1].isupper() for w in re.split(r"[\s-]+", base) if w.lower() not in STOPWORDS)  # a name
            if proper and len(initials) >= 3 and initials.isalpha() and english_zipf(initials) < ACRONYM_ZIPF:
                out.append((c.id, [initials]))
        return out

    # ---- reading one question -----------------------------------------------------------------------------
    def correct(self, text: str) -> list[str]:
        return [w if w in self.lay_words else self.vocab.correct(w) for w in words(text)]

    def lay_phrases(self, toks: list[str]) -> list[Synonym]:
        # a caregiver's "on her own", "her stomach" are the table's "on my own", "my stomach"
        joined = f" {' '.join(MINE.get(t, t) for t in toks)} "
        found = [s for s in self.synonyms if f" {' '.join(s.phrase)} " in joined]
        # "fizzy drinks" found: "fizzy" inside it is the same words, not a second piece of evidence
        return [s for s in found if not any(
            len(t.phrase) > len(s.phrase) and f" {' '.join(s.phrase)} " in f" {' '.join(t.phrase)} " for t in found)]

    def expand(self, toks: list[str], about: list[str] | None = None) -> str:
        """The question's words and the article wording of the lay phrases among `about` (default: all of them)."""
        return " ".join([*toks, *(s.expansion for s in self.lay_phrases(toks if about is None else about))])

    def foreign(self, toks: list[str]) -> tuple[str, ...]:
        """Content words neither the article nor the synonym table knows and that are not everyday English.
        Whether they veto the question is the scope decision's call (a few may be incidental)."""
        return tuple(
            w for w in toks
            if w not in STOPWORDS and w.isalpha() and len(w) > 2 and w not in self.vocab and w not in self.lay_words
            and stem(w) not in self.vocab_stems and english_zipf(w) >= FOREIGN_FLOOR and base_zipf(w) < FOREIGN_ZIPF
            and not self.derived(w) and not misspelt_common(w)
        )

    def _modifiers_only(self, foreign: tuple[str, ...], toks: list[str]) -> bool:
        """'distinct causes', 'my wife reckons': unknown words around a list request; but in 'symptoms of COVID-19' or
        'treatments for gout' the unknown word is whose list is asked for (another condition)."""
        for i, w in enumerate(toks):
            if w in foreign and i and stem(toks[i - 1]) in self.heading_words and toks[i - 1].endswith("s"):
                return False  # "what causes asthma": the heading word is a verb and the unknown word its object
            if w in foreign and any(t in SUBJECT_LINK for t in toks[max(0, i - 2) : i]):
                after = toks[i + 1] if i + 1 < len(toks) else ""
                if stem(after) not in self.heading_words:
                    return False
        return True

    @staticmethod
    def compares_with_other(corrected: str, foreign: tuple[str, ...]) -> bool:
        """'does kidney stone pain feel the same as this?' sets this condition beside one the article lacks;
        'moderate versus severe' compares two of the article's own things."""
        for m in COMPARE_CUE.finditer(corrected):
            near = words(corrected[max(0, m.start() - COMPARE_REACH) : m.end() + COMPARE_REACH])
            if any(w in foreign and w not in words(m.group(0)) for w in near):
                return True
        return False

    def derived(self, word: str) -> bool:
        """'physiotherapist' of the article's 'physiotherapy': a long shared beginning is the same word family."""
        return len(word) >= DERIVED_PREFIX + 1 and word[:DERIVED_PREFIX] in self.prefixes

    def known_share(self, toks: list[str]) -> float:
        content = [w for w in toks if w not in STOPWORDS and not w.isdigit()]
        if not content:
            return 0.0
        return sum(w in self.vocab or w in self.lay_words for w in content) / len(content)

    def find_entries(self, toks: list[str]) -> tuple[tuple[str, ...], bool]:
        """Entries named in the question (best first) and whether the best is named in full.

        A name counts when all its words are present, or half of them including a word unique to that entry.
        """
        have = {stem(w) for w in toks if w not in STOPWORDS}
        scored: dict[str, tuple[float, int]] = {}
        for cid, ws in self.names:
            hit = [w for w in ws if w in have]
            if not hit:
                continue
            full = len(hit) == len(ws)
            unique = 2 * len(hit) >= len(ws) and any(
                self.name_df[w] == 1 and w not in GENERIC_NAME_WORDS and w not in self.heading_words and len(w) >= 4
                for w in hit
            )
            if not (full or unique):
                continue
            if full and len(ws) == 1 and ws[0] in GENERIC_NAME_WORDS:
                continue
            # a name whose words all recur in other entries' names ("NSAID", "Stem Cell") is a class, not a name
            distinctive = any(self.name_df[w] == 1 for w in ws) or (cid, tuple(ws)) in self.acronyms
            key = (len(hit) / len(ws) + (1.0 if full and distinctive else 0.0), len(hit))
            if key > scored.get(cid, (0.0, 0)):
                scored[cid] = key
        ranked = sorted(scored, key=lambda cid: scored[cid], reverse=True)
        if not ranked:
            return (), False
        best = scored[ranked[0]]
        return tuple(cid for cid in ranked if scored[cid] == best), best[0] >= 2.0

    def find_section(self, text: str, asked: list[str] = ()) -> tuple[tuple[str, ...] | None, float]:  # type: ignore[assignment]
        """The listable section whose heading words the question covers best; (path, share of heading).
        Between headings covered equally, the one named right after "list of" / "all" / "every" wins: "the list
        of symptoms this can cause" asks for Symptoms, not Causes."""
        have = {stem(w) for w in words(text) if w not in STOPWORDS}
        asked_text = " ".join(asked)
        # ...with what the synonym table made of it ("kinds of poses" added "types")
        have -= {x for kind, obj in CLASSIFIER.findall(asked_text)
                 if stem(obj) not in self.topic_stems and obj not in self.anchors
                 for x in {stem(kind), *self.word_swaps.get(kind, ())}}
        have -= {stem(m.group(1)) for m in QUALIFIER.finditer(asked_text)}
        named = [w for pair in LIST_OBJECT.findall(asked_text) for w in pair if w]
        # the object in the article's words too: "how many medications" names Pharmacological Treatments
        objects = {stem(w) for w in named} | {x for w in named for x in self.word_swaps.get(w, ())}
        as_verb = {stem(w) for w in MODAL_VERB.findall(asked_text)}
        as_noun = have - as_verb - self.topic_stems
        own = {stem(w) for w in asked if w not in STOPWORDS}  # the patient's words, before any synonym is added
        best: tuple[tuple[str, ...] | None, tuple[bool, bool, float, int, bool, float, int]] = (
            None, (False, False, 0.0, 0, False, 0.0, 0))
        for path in self.sections:
            head = re.sub(r"^[A-Z]\.\s+", "", path[-1])
            share, got = 0.0, 0.0
            for variant in heading_variants(head):
                # the article's subject ("posterolateral foraminal narrowing") names every section at once
                ws = {stem(w) for w in variant if w not in STOPWORDS} - self.topic_stems
                if not ws:
                    continue
                idf = {w: math.log(1 + len(self.sections) / (1 + self._heading_df(w))) for w in ws}
                v_got = sum(idf[w] for w in ws if w in have)
                if (v_got / sum(idf.values()), v_got) > (share, got):
                    share, got = v_got / sum(idf.values()), v_got
            for inner in re.findall(r"\((.*?)\)", head):  # "(FAQs)": the short name alone is the heading
                if {stem(w) for w in words(inner)} <= have:
                    share = 1.0
            head_stems = {stem(w) for w in words(head)}
            # the heading named right after "list every ..." outranks one reached only through other words
            named_object = bool(objects & head_stems) and (share >= 0.5 or self._head_noun_named(path, text))
            # a heading the patient names outranks one a synonym reached ("supplements for the gym" is not Exercise)
            key = (named_object, bool(own & as_noun & head_stems), share, len(objects & head_stems),
                   bool(as_noun & head_stems), got, -len(path))
            if got > 0 and key > best[1]:
                best = (path, key)
        return best[0], best[1][2]  # the path and its share

    def without_subject(self, text: str) -> str:
        """The text without the words naming the article's subject (foraminal, narrowing, L1, L2...)."""
        return " ".join(w for w in words(text) if stem(w) not in self.topic_stems)

    def _shared_phrases(self, chunks: list[Chunk]) -> dict[str, list[str]]:
        """Two words side by side in the names of several entries of one section ("Stem Cell" in three of the
        advanced interventions, "Evoked Potentials" in two tests) name a group, as a bracketed class does."""
        members: dict[tuple[tuple[str, ...], str, str], tuple[str, list[str]]] = {}
        for c in chunks:
            if c.kind != "entry":
                continue
            for m in re.finditer(r"(?=\b([A-Za-z]\w*)[ -](\w+)\b)", c.title):
                a, b = stem(m.group(1).lower()), stem(m.group(2).lower())
                if {a, b} & self.topic_stems or m.group(1).lower() in STOPWORDS or m.group(2).lower() in STOPWORDS:
                    continue
                name, ids = members.setdefault((c.section, a, b), (c.title[m.start(1) : m.end(2)], []))
                if c.id not in ids:
                    ids.append(c.id)
        return {name: ids for name, ids in members.values() if len(ids) >= 2}

    def shares_heading(self, heading: str, text: str) -> bool:
        """Whether the text names a word of the heading (other than the article's subject)."""
        head = {stem(w) for w in words(heading) if w not in STOPWORDS} - self.topic_stems
        return bool(head & {stem(w) for w in words(text)})

    def find_group(self, toks: list[str]) -> tuple[tuple[str, ...], str]:
        """Entries that share a tag in their titles ("(Muscle Relaxant)") when the question names that tag."""
        have = {stem(w) for w in toks}
        best: tuple[tuple[str, ...], str] = ((), "")
        for tag, ids in self.tags.items():
            ws = {stem(w) for w in words(tag)}
            if ws and ws <= have and len(tag) > len(best[1]):
                best = (tuple(ids), tag)
        return best

    def narrow_list(self, q: Query, hits: list[Hit]) -> Query:
        """A list question about a section with sub-sections ("which tests use needles and electric pulses?"):
        when the question says more than the heading and its best three matches all sit in one sub-section,
        that sub-section is the list asked for."""
        if q.intent != "list" or not q.section or q.group or q.narrowed or len(hits) < 3:
            return q
        if self._only_heading(q.section, words(q.question)):
            return q
        subs = {h.chunk.section for h in hits[:3]}
        if len(subs) != 1:
            return q
        sub = next(iter(subs))
        if len(sub) > len(q.section) and sub[: len(q.section)] == q.section and sub in self.sections:
            return replace(q, section=sub)
        return q

    def _bare_heading(self, path: tuple[str, ...], share: float, toks: list[str]) -> bool:
        """'educational and self-management programs?': a bare noun phrase (no question word, no verb first)
        that names a heading with at most one word more asks for that list; 'avoid smoking to preserve
        bone health' is a sentence of an entry, not a heading."""
        if share < 0.5 or CLAUSE_CUE.match(" ".join(toks)):
            return False
        head = {stem(w) for h in path for w in words(h)} | self.topic_stems
        return len({stem(w) for w in toks if w not in STOPWORDS} - head) <= 1

    def _only_heading(self, path: tuple[str, ...], toks: list[str]) -> bool:
        """'types of foraminal narrowing?': nothing but a heading's words, which asks for that section."""
        head = {stem(w) for h in path for w in words(h)} | self.topic_stems
        content = {stem(w) for w in toks if w not in STOPWORDS}
        return bool(content) and content <= head

    def _head_noun_named(self, path: tuple[str, ...], text: str) -> bool:
        """'supplements' names 'Dietary Molecular Supplements': a heading's last word, when no other heading ends so."""
        last = [stem(w) for w in words(path[-1])][-1:]
        have = {stem(w) for w in words(text)}
        if not last or last[0] not in have:
            return False
        # "what tests...": 'Tests' ends five headings, all inside 'Diagnostic Tests', which holds them all
        same_end = [p for p in self.sections if [stem(w) for w in words(p[-1])][-1:] == last]
        return all(p[: len(path)] == path for p in same_end)

    def _heading_df(self, w: str) -> int:
        if not hasattr(self, "_hdf"):
            self._hdf = Counter(
                s for p in self.sections for s in {stem(x) for x in words(re.sub(r"^[A-Z]\.\s+", "", p[-1]))}
            )
        return self._hdf[w]

    def read(self, question: str, limit: int) -> Query:
        """Turn one question (no history) into a Query."""
        q, notice = clean(question, limit)
        toks = self.correct(q)
        folded = " ".join(words(fold(q)))
        corrected = " ".join(toks)
        # names come from the question itself and from short synonym swaps ("tylenol" -> acetaminophen)
        source = {w for m in REPORT_SOURCE.finditer(corrected) for w in m.group(1).split()}
        named_toks = [w for w in toks if w not in source]
        # the scan the patient read a word in is not what they ask about: its synonyms are not added either
        text = self.expand(toks, named_toks)
        # ("the xray guy said": the x-ray's synonym names no entry either)
        swaps = [w for s in self.lay_phrases(named_toks) if len(s.expansion.split()) <= 2 for w in words(s.expansion)]
        own = self.find_entries(named_toks)  # named in the patient's own words
        entries, full_name = self.find_entries(named_toks + swaps) if swaps else own
        section, share = self.find_section(text, toks)
        if section is None or (share < 0.5 and not self._head_noun_named(section, text)):
            section = None
        intent = "lookup"
        group, group_name = self.find_group(toks)
        inside = [e for e in entries if section and self.chunks[e].section[: len(section)] == section]
        one_named_inside = full_name and len(inside) == 1  # "which imaging test is the CT?" asks about that one
        if section and COUNT_CUE.search(folded):
            intent = "count"
        elif DOSE_CUE.search(corrected) and (
            (full_name and any(self.chunks[e].section in self.dosed for e in entries))
            or (not entries and section in self.dosed)
        ):  # a class ("NSAIDs") is not a drug with one dose
            intent = "dose"
        elif group and (COUNT_CUE.search(folded) or LIST_CUE.search(corrected)):
            intent = "count" if COUNT_CUE.search(folded) else "list"
            section, entries = self.chunks[group[0]].section, ()
        elif COUNT_CUE.search(folded):
            intent = "count"  # answered from the paragraph that introduces a list, if one ranks first
        elif section and (ALL_CUE.search(corrected) or not one_named_inside and not SINGLE_CUE.search(corrected) and (
            LIST_CUE.search(corrected) or self._only_heading(section, toks) or self._bare_heading(section, share, toks)
        )):
            intent = "list"
            entries = ()
        if intent not in ("count", "list"):
            group, group_name = (), ""
        term, term_words = self.find_term(q, toks) if intent == "lookup" else ("", 0)
        if term and entries and term_words < 2 and not QUOTED.search(q):  # "what does MRI mean?" names the entry
            term = ""
        if term:  # "my MRI report says <the diagnosis>; what does that mean?" asks for the definition, not the MRI
            entries, full_name = (), False
        narrowed = intent == "list" and bool(PICK_CUE.search(corrected)) and not ALL_CUE.search(corrected)
        joined = f" {IN_LAW.sub(' ', corrected)} "  # a brother-in-law is family, not the law
        stems = {stem(w) for w in joined.split()}  # "beers", "flights" are the list's "beer", "flight"
        excluded = tuple(sorted(w for w in self.not_covered if f" {w} " in joined or (" " not in w and stem(w) in stems)))
        if intent == "dose" and full_name and DOSE_PATTERN.search(q) and not INTERACTION.search(corrected):
            # "on a long flight, is 4000 mg of acetaminophen ok?": the amount asked about is answered with the
            # article's limit, whatever the setting; the setting is not the question
            excluded = ()
        excluded += self.other_levels(q)
        excluded += tuple(next(g for g in m.groups() if g) for m in REGION_SYMPTOM.finditer(TOUCH_TOES.sub(" ", corrected)))
        if intent == "dose" or any(self.chunks[e].section in self.dosed for e in entries):
            # the article's doses are adult doses: a child's dose, or a drug in pregnancy, is not in it
            # ("a toddler to carry" is the patient's life, not who takes the drug)
            excluded += tuple(w for w in toks if w in self.dose_populations
                              and (w in SELF_STATES or re.search(RECIPIENT.format(w=re.escape(w)), corrected)))
        lay = tuple(" ".join(s.phrase) for s in self.lay_phrases(toks))
        content = {stem(w) for w in toks if w not in STOPWORDS}
        defines = bool(DEFINE_CUE.search(corrected)) and not entries and bool(content) and content <= self.topic_stems
        advice = bool(ADVICE_CUE.search(corrected))
        content_n = len([w for w in toks if w not in STOPWORDS and not w.isdigit()])
        foreign = self.foreign(toks)
        return Query(q, text, intent, section, entries, self.known_share(toks), foreign, excluded,
                     lay, full_name, defines, narrowed, notice, advice=advice, group=group, group_name=group_name,
                     anchored=any(w in self.anchors for w in toks) or bool(SUBJECT_CUE.search(corrected)),
                     content_words=content_n, named_directly=bool(entries) and bool(own[0]),
                     wants=next((k for k, cue in WANTS.items() if cue.search(corrected)), "") if intent == "lookup" else "",
                     term=term,
                     causal=intent == "lookup" and bool(CAUSAL_CUE.search(corrected)),
                     compares=self.compares_with_other(corrected, foreign),
                     lists_article=intent in ("list", "count") and bool(section) and len(foreign) <= 1
                     and self._modifiers_only(foreign, toks))

    def read_with_history(self, question: str, history: list[str], limit: int, max_history: int) -> Query:
        """Read a question; if it leans on the conversation ('its dose?', 'and X?'), borrow the subject."""
        query = self.read(question, limit)
        recent = [h for h in history[-max_history:] if isinstance(h, str) and h.strip()]
        if not recent:
            return query
        folded = " ".join(words(query.question))
        leans = bool(ANAPHORA.search(folded)) or len([w for w in words(folded) if w not in STOPWORDS]) <= 3
        # "how much a day then?" names no drug: the one the conversation is about
        leans = leans or (bool(DOSE_CUE.search(folded)) and not query.entries and not query.section)
        content = [w for w in words(folded) if w not in STOPWORDS]
        # "how do I bake bread?" is a new, off-topic question; one everyday unknown word ("tho") is not
        off_topic = len(query.foreign) > max(1, FOREIGN_SHARE * len(content))
        if not leans or off_topic or query.excluded:
            return query
        for earlier in reversed(recent):
            prev = self.read(earlier, limit)
            if not (prev.entries or prev.section):
                continue
            if query.entries:  # "and the slump test?": a new subject, with the earlier question's aim
                if query.intent == "lookup" and prev.intent == "dose" and any(
                    self.chunks[e].section in self.dosed for e in query.entries
                ):
                    return replace(query, intent="dose", resolved_from=earlier)
                return query
            if prev.entries:
                intent = query.intent if query.intent != "lookup" else ("dose" if DOSE_CUE.search(folded) else "lookup")
                if intent == "dose" and not any(self.chunks[e].section in self.dosed for e in prev.entries):
                    intent = "lookup"
                # the earlier question's own words name the subject as the patient sees it
                names = prev.text if intent != "dose" else " ".join(self.chunks[e].title for e in prev.entries[:1])
                # the subject steers retrieval; only a dose pins the answer to that entry (a safety follow-up may
                # be answered best by an FAQ about it)
                return replace(query, entries=prev.entries[:1], intent=intent, text=f"{query.text} {names}",
                               named_full=intent == "dose" or prev.named_full or bool(POINTS_BACK.search(folded)),
                               resolved_from=earlier)
            if prev.group and not query.section and not PICK_CUE.search(folded):
                # "what stem cell treatments are there?" then "are they safe?": asked of the group as a whole
                return replace(query, text=f"{query.text} {prev.group_name}", resolved_from=earlier)
            if prev.section and not query.section:
                heading = " ".join(prev.section)
                intent = "count" if COUNT_CUE.search(folded) else "list"
                return replace(query, section=prev.section, narrowed=intent == "list", intent=intent,
                               text=f"{query.text} {heading}", resolved_from=earlier)
        return query
