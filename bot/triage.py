"""Triage stage: rule-based red-flag detection, run on the question before any retrieval."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import fold


@dataclass(frozen=True)
class RedFlag:
    name: str
    pattern: re.Pattern[str]


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


# Each rule names the warning sign of the article's "When to See a Doctor" text it stands for.
# A rule fires when words of two groups stand within a sentence-sized window, in either order.
NEAR = r".{0,60}"
NEW = r"\b(new|sudden|suddenly|started|starting|since|just|today|yesterday|last night|this morning|overnight|getting worse|spreading|now|anymore|never (happened|had))\b"
BLADDER = r"\b(bladder|bowels?|pee|peeing|urine|urinat\w*|wee|poo|poop|stools?|toilet)\b"
LOSS = r"\b(control|lost|losing|loss|leak\w*|wet|can'?t|cannot|couldn'?t|unable|accidents?|hold|stop|incontinen\w*)\b"
NUMB = r"\b(numb\w*|no feeling|can'?t feel|lost feeling|loss of feeling|no sensation|tingl\w*|dead)\b"
SADDLE = r"\b(groin|genitals?|private parts?|between (my|his|her|their) legs|inner thighs?|buttocks|bottom|crotch|perineum|saddle)\b"
LEGS = r"\b(legs?|feet|foot|knees?)\b"
WEAKER = (r"\b(weaker|weakening|getting weak|more weak|giving (way|out)|gave way|buckl\w*|collaps\w*|progressive\w*|"
          r"worse and worse|more and more)\b")
SEVERE = (r"\b(severe|unbearable|excruciating|worst|agoni\w*|terrible|extreme|intense|constant|brutal|awful|horrible|"
          r"so bad|really bad)\b"
          r"|\b(10|9|ten|nine) ?(out of|/) ?(10|ten)\b")
PAINKILLERS = (r"\b(painkillers?|pain killers?|pills?|medications?|meds|analgesics?|tablets?|ibuprofen|tylenol|"
               r"acetaminophen|paracetamol|advil|motrin|aleve|naproxen|aspirin)\b")
UNRELIEVED = (r"(nothing (helps|is helping|works|is working|touches it)|not (going away|helping|relieved|better|stopping)|doesn'?t (go away|help|stop|ease)|"
              r"won'?t (go away|stop|ease|let up)|even (at|with|when) (rest|resting|lying)|unrelieved|unremitting|"
              r"day and night|all night|non-?stop|(not|isn'?t|is not) (touching|helping|easing)|"
              r"\b(on|taking|took|lying|lay|laid|resting|rest)\b.{0,60}\bstill\b|" +
              PAINKILLERS + r".{0,30}\b(don'?t|do not|aren'?t|are not|isn'?t|is not|no longer|not|never)\b"
              r".{0,10}\b(help|work|touch|do anything)\w*)")
# "nothing helps, not lying down, not the tablets": rest and painkillers both named as failing is the sign itself
RESTING = r"\b(rest|resting|rested|lying|lie down|lay|laid|laying|bed)\b"
NOTHING_HELPS = (r"\bnothing (helps|is helping|works|is working|touches)\b"
                 r"|\b(not|isn'?t|is not|doesn'?t|does not) (touch|touching|help|helping|ease|easing)\b")
FEVER = r"\b(fever\w*|high temperature|temperature of|chills|night sweats|sweating at night)\b"
BACK = r"\b(back|spine|spinal)\b"


def near(a: str, b: str) -> str:
    return f"(?:(?:{a}){NEAR}(?:{b})|(?:{b}){NEAR}(?:{a}))"


WORSENING = r"\b(getting worse|worse|worsening|progress\w*|spreading)\b"

RULES: tuple[RedFlag, ...] = (
    RedFlag("loss of bladder or bowel control", _rx(near(BLADDER, LOSS), r"|\bincontinen\w*|\bwet (myself|himself|herself|themselves|the bed)\b",
                                                     r"|\b(peeing|pooing|pooping|soiling|soiled) (myself|himself|herself|(my|his|her) (pants|bed))\b")),
    RedFlag("new sensory changes in the groin (saddle area)",
            _rx(near(r"\bsaddle\b", NUMB), "|", f"^(?=.*{NEW}).*", near(NUMB, SADDLE))),
    RedFlag("progressive muscle weakness in the legs",
            _rx(near(LEGS, WEAKER), "|", f"^(?=.*{LEGS}).*", near(r"\bweak\w*", WORSENING), r"|\bboth (of my )?legs\b", NEAR, r"\b(weak\w*|numb\w*|giving)\b",
                r"|\b(can'?t|cannot|unable to) (walk|stand|lift my (legs?|feet|foot))\b|\b(foot drop|drop foot)\b")),
    RedFlag("severe pain unrelieved by rest and analgesics",
            _rx(near(SEVERE, UNRELIEVED), "|", f"^(?=.*{NOTHING_HELPS})(?=.*{RESTING})(?=.*{PAINKILLERS})")),
    RedFlag("possible cauda equina syndrome", _rx(r"\bcauda equina\b")),
    RedFlag("fever with back pain (possible infection)", _rx(near(FEVER, BACK))),
)

# Questions *about* the signs ("what are the warning signs?") are not reports of them.
ASKING_ABOUT = _rx(r"^\s*(what|which|when|is|are|does|do|can|could)\b.{0,40}\b(signs?|symptoms?|mean|cause|causes|see a doctor)\b"
                   r"(?!.{0,80}\b(i|my|me|i'm|i've)\b)")


def red_flags(question: str) -> tuple[str, ...]:
    """Names of the red-flag rules the question matches (empty when none)."""
    text = fold(question)
    if ASKING_ABOUT.search(text):
        return ()
    return tuple(rule.name for rule in RULES if rule.pattern.search(text))
