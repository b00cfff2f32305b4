"""Words stage: tokenising, the article's own vocabulary, typo correction and the lay-synonym table."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORD = re.compile(r"[a-z0-9]+(?:[’'][a-z]+)?")
DASHES = re.compile(r"[\u2010-\u2015\u2212‐]")

# chat spellings of function words: "wat is", "can u", "r they"
CHAT = {"wat": "what", "wot": "what", "wats": "whats", "u": "you", "r": "are", "ur": "your", "pls": "please",
        "plz": "please", "abt": "about", "cuz": "because", "coz": "because", "thx": "thanks", "y": "why",
        "hrs": "hours", "hr": "hour", "mins": "minutes", "thru": "through", "tho": "though", "ppl": "people"}

# Function words: never typo-corrected, never counted as content.
STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "tell", "please", "thanks", "thank", "hi", "hello", "hey", "also", "get", "got", "really", "much", "many", "lot", "lots", "things", "thing", "like", "know", "want", "need", "use", "used", "using", "may", "might", "must", "shall", "ok", "okay", "yes", "dont", "don't", "im", "i'm", "ive", "i've", "whats", "what's", "cant", "can't", "doesnt", "doesn't", "isnt", "isn't", "it's", "its'", "there's", "theres", "one", "ones", "something", "anything",
     # a modal and chat fillers name no topic
     "ought", "lol", "tho", "kinda", "gonna", "wanna", "bro", "dude", "thru", "diff"]
)


def fold(text: str) -> str:
    """Lowercase, unify dashes and quotes, strip accents: the form all matching happens in."""
    text = unicodedata.normalize("NFKC", text)
    text = DASHES.sub("-", text).replace("’", "'").replace("‘", "'")
    return text.lower()


def words(text: str) -> list[str]:
    return WORD.findall(fold(text))


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def content_stems(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def tokenize_for_bm25(text: str) -> list[str]:
    return content_stems(text) or ["_empty_"]


REAL_WORD_ZIPF = 3.0  # wordfreq Zipf scale: 3 = once per million words; misspellings score lower
FOREIGN_ZIPF = 4.6  # words rarer than this that the article never uses name a topic it does not cover
FOREIGN_SHARE = 0.3  # at most this share of unknown words in a question that is still about the article
FOREIGN_FLOOR = 1.0  # ...but a word English never uses is an unfixable typo, not a topic


def english_zipf(word: str) -> float:
    """How common a word is in English (wordfreq's Zipf scale, 0 for unknown)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def base_zipf(word: str) -> float:
    """How common the word's plain form is: 'advertises' is as everyday as 'advertise', a drug name stays rare."""
    forms = [word] + [word[: -len(end)] + add for end, add in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"),
                                                                ("ing", ""), ("ing", "e")) if word.endswith(end)]
    return max(english_zipf(f) for f in forms)


COMMON_WORDS = 3000  # the most frequent English words: a rare word one edit from one of them is its misspelling
MISSPELT_ZIPF = 2.6  # ...rare meaning this (disease and drug names, "creatine" 2.8, "shingles" 3.1, sit above)


@lru_cache(maxsize=1)
def _common_by_length() -> dict[int, list[str]]:
    from wordfreq import top_n_list

    out: dict[int, list[str]] = {}
    for w in top_n_list("en", COMMON_WORDS):
        if w.isalpha():
            out.setdefault(len(w), []).append(w)
    return out


def misspelt_common(word: str) -> bool:
    """'somthing', 'recomend': one edit from a frequent English word (and long enough not to be a short name)."""
    if len(word) < 6 or english_zipf(word) >= MISSPELT_ZIPF:
        return False
    by_len = _common_by_length()
    return any(_edit_distance(word, c, 1) <= 1 and not _inflected(word, c)
               for n in (len(word) - 1, len(word), len(word) + 1) for c in by_len.get(n, ()) if c != word)


def _inflected(a: str, b: str) -> bool:
    """'tunnel'/'tunnels': a plural or past form is the same word, not a misspelling of it."""
    short, long_ = sorted((a, b), key=len)
    return long_[: len(short)] == short and long_[len(short) :] in ("s", "d")


@dataclass(frozen=True)
class Synonym:
    phrase: tuple[str, ...]  # folded words of the lay phrase
    expansion: str  # article wording appended to the question


def load_word_list(path: Path) -> frozenset[str]:
    """A one-word-per-line list with '#' comments, folded."""
    if not path.exists():
        return frozenset()
    return frozenset(fold(ln.strip()) for ln in path.read_text(encoding="utf-8").splitlines()
                     if ln.strip() and not ln.startswith("#"))


def load_synonyms(path: Path) -> tuple[Synonym, ...]:
    """Read corpus/synonyms.tsv: 'lay phrase<TAB>article terms' per line, '#' comments."""
    if not path.exists():
        return ()
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        phrase, expansion = line.split("\t", 1)
        out.append(Synonym(tuple(words(phrase)), expansion.strip()))
    return tuple(out)


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (adjacent swaps) distance, stopping early past limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


class Vocabulary:
    """The article's words with their frequencies; corrects a misspelt word to the nearest article word."""

    def __init__(self, texts: list[str], extra: list[str] = ()) -> None:  # type: ignore[assignment]
        self.freq: dict[str, int] = {}
        for t in [*texts, *extra]:
            for w in words(t):
                self.freq[w] = self.freq.get(w, 0) + 1
        self._by_len: dict[int, list[str]] = {}
        for w in self.freq:
            self._by_len.setdefault(len(w), []).append(w)
        self._cache: dict[str, str] = {}

    def __contains__(self, word: str) -> bool:
        return word in self.freq

    def correct(self, word: str) -> str:
        """The article word nearest to `word` (1 edit for 5-7 letters, 2 for longer), else `word` itself.

        Real English words are left alone ("insurance" is not a typo of anything in the article).
        """
        if word in CHAT:
            return CHAT[word]
        if word in self.freq or word in STOPWORDS or len(word) < 4 or not word.isalpha():
            return word
        if english_zipf(word) >= REAL_WORD_ZIPF:
            return word
        if len(word) == 4:  # a short word: only two swapped letters are taken as a typo ("tets")
            return next((c for c in self._by_len.get(4, ()) if sorted(c) == sorted(word)
                         and sum(a != b for a, b in zip(c, word, strict=True)) == 2), word)
        if word in self._cache:
            return self._cache[word]
        limit = 1 if len(word) < 8 else 2
        best, best_key = word, (limit + 1, 0)
        # longer article words than `limit` allows ("educational" for "educaton") are compared by their stem-length
        # prefix, one edit more as the cost: the article may have only a derived form of the word meant
        for n in range(len(word) - limit, len(word) + 5):
            derived = n > len(word) + limit
            for cand in self._by_len.get(n, ()):
                if cand[0] != word[0]:
                    continue  # typos almost never hit the first letter; this also keeps the search small
                d = _edit_distance(word, cand[: len(word) + 1] if derived else cand, limit) + derived
                key = (d, -self.freq[cand])
                if d <= limit and key < best_key:
                    best, best_key = cand, key
        self._cache[word] = best
        return best

    def correct_text(self, text: str) -> str:
        """Rewrite every misspelt word of text (folded) to its nearest article word."""
        return " ".join(self.correct(w) for w in words(text))
