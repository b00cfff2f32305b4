"""Question cues: the reviewable word patterns that say what a question asks for (list, dose, advice, a figure...)."""
from __future__ import annotations

import re

from .lexicon import stem

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
# "how many times a week": a frequency, not a count of entries
COUNT_CUE = re.compile(r"\bhow many\b(?! (\w+ )?(times|days|weeks|months|years|hours|minutes|sessions|mg|milligrams|mcg|iu|units|ml|grams|g|pills|tablets|capsules|doses)\b)"
                       r"|\bnumber of\b|\bcount\b")
LIST_CUE = re.compile(
    r"^\s*(what|which)\b(?! (makes?|happens|does|did|is|was)\b)|\bwhich\b|\blist\b|(?<!\bat )\b(all|every)\b(?! (the )?(day|days|week|weeks|weekend|weekends|night|nights|morning|mornings|time|year|month|hour|single|other|now)\b)|\boptions\b|\bways\b|\bname (the|all|some)\b|\bany\b"
    r"|\bare there\b|\bhow (can|do|could|should) i\b|\bavailable\b|\b(rundown|overview|run through|run-through) of\b"
)
IN_LAW = re.compile(r"\bin laws?\b")  # "brother in law", "my in-laws": relatives
MINE = {"her": "my", "his": "my", "their": "my", "your": "my", "our": "my", "mom's": "my", "dad's": "my"}
ADVICE_CUE = re.compile(
    r"\b(should i|can i|could i|may i|do i need|is it (ok|okay|safe|bad|good|fine|wise|better|worse|normal|acceptable)"
    r"|(would|will) it be (ok|okay|safe|bad|fine|alright|all right|acceptable|wise)"
    r"|is (that|this|it) (a problem|ok|okay|alright|all right|fine|cool|bad|safe|normal|risky|harmful)|(bad|good) idea"
    r"|what (should|can|could) (i|he|she|we|they) (be )?(do|doing)|(anything|something) (i|we) should"
    r"|too (much|many|long|often)\b.{0,25}\b(for (this|me|my)|with this)"  # "three coffees, too much for this?"
    r"|(ok|okay|safe|bad) for (me|her|him)|(better|best) to"
    r"|^\s*\w+ or \w+ (before|after|for|when|during)"  # "heat or ice before exercise?": a choice to make
    r"|(my|her|his) (back|spine|pain|legs?|hips?|groin|thighs?|nerves?|condition|symptoms?|posture))\b"
)
# "...for this condition", "could my job have caused this": the question is about the article's subject
SUBJECT_CUE = re.compile(r"\b(this|my|the) (condition|problem|back problem|diagnosis|narrowing)\b|\bcaused (this|it)\b"
                         r"|\b(for|with|from) this\b")
DEFINE_CUE = re.compile(r"^\s*(what('s| is| are)|define|explain|meaning of)\b|\bwhat does .* mean\b|\bmeaning\b")
# a question or a sentence, as opposed to a bare noun phrase ("imaging tests?")
CLAUSE_CUE = re.compile(r"^\s*(what|which|how|why|when|where|who|whose|is|are|am|can|could|do|does|did|should|would|will"
                        r"|may|might|tell|explain|give|show|describe|i|i'm|my|it|its|this|that|the|a|an)\b")
KINDS = r"(?:types?|kinds?|sorts?)"  # classifier words: "types of", "mind-body type things"
# the thing a list request names: "the full list of symptoms", "all the causes", "every test"
LIST_OBJECT = re.compile(r"\b(?:(?:list|rundown|overview|summary) of|all(?: of)?(?: the| your)?|every|each|how many)\s+(?:(?:different|various|main|distinct|separate) )?(?:" + KINDS + r" of )?(\w+)(?: (\w+))?")
# "all of them pls", "every single one": the whole list, whatever else the question names or weighs
ALL_CUE = re.compile(r"\b(all of (them|those|these|em)|every (single )?one|each one|full list|complete list|whole list"
                     r"|all \w+ of them|(name|give me|tell me|list) all|all the (different|various|possible)"
                     r"|what else|any others?|(them|those) all|every (type|kind|sort|form)s?( of)? (you|there|they)"
                     r"|(name|list) every)\b")  # "x-ray, MRI, what else?": the ones named and the rest
# words that ask for a list outright, beside ALL_CUE and LIST_OBJECT ("what can cause this?" does not)
LIST_REQUEST = re.compile(r"\blist\b|\bwhat are\b|\b(options|types|kinds|things)\b|\bwhich\b|\bmentions?\b|\bsay\b")
# "what types of shoes": "types of" classifies something else, it does not name the article's Types section
CLASSIFIER = re.compile(r"\b(" + KINDS + r") of (?:the |this |that |these |those |my |your |a |an )?(\w+)")
# "mind-body type things": "type" qualifies the word before it, it does not ask for the Types section
QUALIFIER = re.compile(r"\b(?!(?:what|which|the|a|an|this|that|these|those|any|some|all|different|main|other)\b)\w+ "
                       r"(" + KINDS + r") (?!of\b|are\b|is\b|there\b)\w+")
# "this thing can cause", "processes that cause": a heading word right after a modal or "that" is a verb, weaker than a heading named as a noun
MODAL_VERB = re.compile(r"\b(?:can|could|may|might|will|would|to|that)\s+(\w+)")
# "What is X?" asks about one thing, even when X repeats a heading's words
SINGLE_CUE = re.compile(r"^\s*(what|which)('s| is| does| exactly is| was)\b")
# "which exercise is safest for my hips?": pick inside the list rather than print all of it
PICK_CUE = re.compile(
    r"\b(best|most|better|worst|strongest|safest|good for"
    r"|helps? (with|for)(?! (this|it|that|the narrowing|narrowing|the condition|this condition|my condition)\b)|(?<!n't )(?<!not )works? (best|for)"
    r"|which (one|ones)( (would|should|will|helps?|works?|do|does|can)\b|$))\b"
    r"|\bwhich \w+ (is|does|helps|works|should)\b|\bfor (my|the|a) \w+"
)
DOSE_CUE = re.compile(
    r"\bdos(e|es|age|ing)\b|\bhow much\b|\bhow many (mg|milligrams?|pills?|tablets?|grams?)\b|\bmg\b|\bmax(imum)?\b"
    r"|\bhow often\b.*\btake\b|\btake \d|\bmcg\b|\biu\b|\b\d+\s*(mg|g|mcg|iu|ml)\b|\bhow (many|much) .*\b(day|daily)\b"
)
# a sentence that defines a term: "The posterolateral quadrant refers to ...", "The neural foramen is an ..."
DEFINITION = re.compile(r"^(?:The |A |An )?(.{3,80}?) (?:refers to|is an?|is the|describes|means|is defined as|is called)\b")
# a term the patient quotes from a report: 'posterolateral'
QUOTED = re.compile(r"(?:^|\s)['\"“‘]([A-Za-z][^'\"”’]{1,58}[A-Za-z])['\"”’](?![A-Za-z])")
# (comparing with "what I've got" or "mine" sets the article beside the patient, not beside another condition)
COMPARE_CUE = re.compile(r"\b(apart|tell the difference|difference between|(the )?same as|similar to"
                         r"|compared? (to|with)(?! (what (i|i've|i'm|i have)|mine|my own)\b)"
                         r"|tell (if|whether)|and not (a|an|the)|rather than"
                         r"|versus|vs)\b")
COMPARE_REACH = 40  # characters either side of the cue where the other condition is named
CAUSAL_CUE = re.compile(r"\b(caused?|causing|give me|gave me|brought on|bring on|lead to|led to)\b (this|it|my)\b")
# "how much does it narrow?": the answer is a figure
QUANTITY_CUE = re.compile(r"\bhow (much|far|big|small|wide|narrow)\b|\bpercent(age)?\b|\bby how\b|\bwhat size\b")
# "where does the nerve go?": the answer is a direction or destination
PLACE_CUE = re.compile(r"\bwhere (does|do|did|will|would|can)\b.*\b(go|goes|going|travel\w*|run|runs|lead|leads|end up|spread\w*|"
                       r"radiat\w*|come out|exit\w*)\b")
# "how long does it take?": the answer is a length of time
DURATION_CUE = re.compile(r"\bhow long\b|\bhow many (days|weeks|months|years|hours|minutes)\b")
# "why does a squashed nerve hurt?", "what happens to the nerve?": the answer is the process, how compression hurts
MECHANISM_CUE = re.compile(
    r"\bwhy (does|do|would|is|are)\b.{0,60}\b(hurts?|pain\w*|ache|aches|sore)\b"
    r"|\bwhat (actually |really |physically )?happens to (the|my|a|that) nerves?\b"
    r"|\bwhat is (actually |really |physically )?(happening|going on)\b"
    r"|\bhow (does|do|can) (it|this|the narrowing|narrowing|compression|squeezing)\b.{0,20}\b(cause|produce|give)\b")
WANTS = {"figure": QUANTITY_CUE, "place": PLACE_CUE, "duration": DURATION_CUE, "mechanism": MECHANISM_CUE}
ANAPHORA = re.compile(
    r"^\s*(and|what about|how about|also)\b|\b(it|its|it's|this|that|these|those|them|they|one|ones|same)\b"
)
# a pronoun ("how does that one work?") points at the thing named before, which is then pinned
POINTS_BACK = re.compile(r"\b(it|its|it's|that|this|they|them|those|these)\b")
GENERIC_NAME_WORDS = frozenset(stem(w) for w in ["test", "tests", "therapy", "pain", "disease", "syndrome"])
ADVICE_HEADING = re.compile(r"\b(avoid|prevent\w*)\b", re.IGNORECASE)
# a group the drug would be given to: "for my toddler", "give the baby", "can my dog take", "a child's dose"
RECIPIENT = r"\b(for|give|giving|gave|to)\b( \w+){{0,4}} {w}\b|\b{w}'s\b|\b{w} (take|takes|taking|have|has|use|uses|dose)\b"
SELF_STATES = frozenset({"pregnant", "pregnancy", "breastfeeding", "nursing"})  # the patient's own state
ACRONYM_ZIPF = 3.5  # initials that spell a common word ("tens") are not taken as a name
DERIVED_PREFIX = 7  # letters two words must share to be one family ("physiotherap-y/-ist")
# a spinal level: "L1", "C5-C6", "L5/S1"
LEVEL = re.compile(r"\b([ctls])\s?(\d{1,2})\b", re.IGNORECASE)
DOSE_PATTERN = re.compile(r"\d[\d.,–-]*\s*(mg|g|mcg|iu|ml|million)\b", re.IGNORECASE)
# "symptoms of X", "treatments for X": the word after these names whose list is asked for
SUBJECT_LINK = frozenset({"of", "for", "from", "in", "with"})
# a symptom in a part of the body the article never describes ("my neck hurts", "numb fingers"): another condition
OTHER_REGION = (r"\b(neck|arms?|hands?|fingers?|thumbs?|shoulders?|wrists?|elbows?|ankles?|feet|foot|toes?|jaw|chest)\b")
SYMPTOM_WORD = (r"\b(pain\w*|hurts?|hurting|ach\w*|sore|numb\w*|tingl\w*|pins and needles|killing|weak\w*|stiff\w*|"
                r"burn\w*|cramp\w*|swollen|swelling)\b")
# ...joined by words of the same phrase only ("neck is killing", "pain in my left shoulder", not "arms and my back hurts")
_JOIN = (r"(?:\W+(?:is|are|am|go|goes|gone|going|went|keeps?|get|gets|getting|got|feels?|feeling|in|my|her|his|the|"
         r"both|left|right|of|at|on|really|so|very|a|bit|little|has|have|been|also|too|all))*\W+")
# "touching my toes": bending forward, not a symptom in the toes
TOUCH_TOES = re.compile(r"\btouch\w* (my |your |his |her |the )?toes\b")
# a second drug or a mix named beside a dose: the article never says how two drugs mix
INTERACTION = re.compile(r"\b(with|and|alongside|together|plus|mix\w*|interact\w*|combin\w*)\b.*\b(drug|pill|medication|medicine"
                         r"|tablet|thinner|warfarin|alcohol|beer|wine|drink)s?\b|\binteract\w*\b")
REGION_SYMPTOM = re.compile(rf"{OTHER_REGION}{_JOIN}{SYMPTOM_WORD}|{SYMPTOM_WORD}{_JOIN}{OTHER_REGION}")
# "my MRI report says ...", "my dad's MRI says ...": the test is where the patient read the words, not what the question asks about
REPORT_SOURCE = re.compile(r"(?:^|\b(?:my|the|his|her|our|their)(?: \w+'s)? )((?:\w+ ){0,2}?(?:report|scan|results?|letter)?)\s?"
                           r"(?:says|said|shows|showed|mentions|mentioned|found|reads|read|came back|states|stated)\b")
