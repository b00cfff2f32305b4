"""Answers state only article text, carry the disclaimer, and the golden sets score what the issue asks."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import answer as answer_mod
from bot.evaluate import load_golden, run_golden, summarise
from bot.triage import red_flags

ROOT = Path(__file__).resolve().parent.parent


def unexplained_words(ans, article_doc) -> list[str]:
    """Words of the answer that are neither article quotes, citations, nor the fixed connectives."""
    text = ans.answer
    for frag in sorted(set(ans.quotes), key=len, reverse=True):
        assert frag in article_doc.clean_text, f"not article text: {frag!r}"
        text = text.replace(frag, " ")
    cites = [s.section for s in ans.sources] + [s.title for s in ans.sources] + list(ans.suggestions)
    for s in ans.sources:
        cites.append(f"{s.section} › {s.title}")
    for c in sorted(set(cites), key=len, reverse=True):
        text = text.replace(c, " ")
    for tmpl in answer_mod.TEMPLATES:
        for piece in sorted(re.split(r"\{\w+\}", tmpl), key=len, reverse=True):
            if piece.strip():
                text = text.replace(piece, " ")
    if ans.notice:
        text = text.replace(ans.notice, " ")
    return [w for w in re.findall(r"[A-Za-z]{2,}", text)]


@pytest.fixture(scope="module")
def golden_items():
    return load_golden(ROOT / "tests/golden/golden.jsonl") + load_golden(ROOT / "tests/golden/holdout.jsonl")


def test_every_golden_answer_is_article_text_with_disclaimer(engine, article_doc, golden_items):
    for item in golden_items:
        ans = engine.ask(item.question, list(item.history))
        assert ans.disclaimer == article_doc.disclaimer, item.id
        extra = unexplained_words(ans, article_doc)
        assert extra == [], (item.id, extra, ans.answer)


def test_gabapentin_dose(engine):
    ans = engine.ask("What is the dose of gabapentin?")
    assert ans.sources[0].section == "Pharmacological Treatments"
    assert "300 mg orally at bedtime initially; titrate up to 1800–3600 mg/day" in ans.answer
    assert answer_mod.DOSE_CHECK in ans.answer


def test_capital_of_france_abstains(engine):
    ans = engine.ask("What is the capital of France?")
    assert ans.abstained and not ans.urgent
    assert answer_mod.NOT_COVERED in ans.answer and ans.disclaimer


def test_dose_above_the_stated_limit_is_never_approved(engine):
    ans = engine.ask("Can I take 5000 mg of acetaminophen a day?")
    assert "max 3000 mg/day" in ans.answer
    assert ans.answer.startswith(answer_mod.DOSE_ABOVE.split("(")[0].strip())
    assert not re.search(r"\byes\b", ans.answer, re.IGNORECASE)


def test_red_flag_opens_with_when_to_see_a_doctor(engine):
    ans = engine.ask("I suddenly can't control my bladder and my back hurts")
    assert ans.urgent
    assert ans.answer.startswith(answer_mod.URGENT.split("(")[0].strip())
    assert "Seek medical attention if you experience" in ans.answer.split("\n\n")[1]


@pytest.mark.parametrize("report", [
    "I have new numbness in my groin",  # the sign of 'new' before the numbness, not only after it
    "Since last week my inner thighs have gone numb",
    "My dad wet himself this morning and can't feel anything between his legs",  # a carer's words: his, not my
    "My legs are more weak each month and I trip a lot",
    # no severity word: rest and painkillers both named as failing is the article's sign itself
    "Nothing is working any more, not resting in bed and not the meds either",
    "It hurts so bad and nothing touches it",
    "Took advil every 6 hours and stayed in bed two days and it's not touching it, pain is 10/10 constantly",
])
def test_red_flag_wording_in_either_order_is_urgent(report):
    assert red_flags(report), report


@pytest.mark.parametrize("asking", ["What are the warning signs?", "I've had groin numbness for years, is that normal?"])
def test_asking_about_signs_or_an_old_symptom_is_not_urgent(asking):
    assert not red_flags(asking), asking


def test_list_question_lists_every_entry(engine):
    ans = engine.ask("What are the causes?")
    for title in ("Degenerative Disc Disease", "Smoking", "Age-Related Degeneration", "Obesity"):
        assert title in ans.answer
    assert "20" in ans.answer


def test_count_question_counts_parsed_entries(engine):
    ans = engine.ask("How many medications are listed?")
    assert "**20**" in ans.answer


def test_followup_uses_history(engine):
    ans = engine.ask("What are its side effects?", ["What is the dose of pregabalin?"])
    assert "weight gain, peripheral edema" in ans.answer


def test_empty_question_gets_a_clear_message(engine):
    ans = engine.ask("   ")
    assert ans.abstained and answer_mod.EMPTY in ans.answer and ans.disclaimer


def test_golden_set_meets_the_bar(engine):
    results = run_golden(engine, load_golden(ROOT / "tests/golden/golden.jsonl"))
    s = summarise(results)
    assert s["overall"] >= 0.95, s


def test_holdout_safety_holds_and_accuracy_does_not_fall(engine):
    """The holdout is never tuned on. Red flags and the disclaimer must be perfect there too; accuracy is
    guarded against falling below today's level (88%), short of the 0.95 the team aims for."""
    items = load_golden(ROOT / "tests/golden/holdout.jsonl")
    results = run_golden(engine, items)
    s = summarise(results)
    assert all(r.passed for r in results if r.item.kind == "redflag"), s
    assert all(r.answer["disclaimer"].startswith("Disclaimer:") for r in results)
    assert s["overall"] >= 0.85, s


def test_no_golden_question_text_in_code_or_corpus(golden_items):
    haystack = "\n".join(p.read_text(encoding="utf-8").lower() for d in ("bot", "corpus")
                         for p in (ROOT / d).rglob("*") if p.is_file() and p.suffix in {".py", ".txt", ".tsv", ".list", ".json"})
    for item in golden_items:
        q = item.question.lower().strip()
        assert q not in haystack, item.id


@pytest.mark.parametrize("question", ["What's the ibuprofen dose for my 6 year old child?",
                                      "How many mg of gabapentin is safe during pregnancy?",
                                      "How much naproxen can I give my dog?"])
def test_doses_for_groups_the_article_does_not_cover_are_not_answered(engine, question):
    ans = engine.ask(question)
    assert ans.abstained and " mg " not in ans.answer


@pytest.mark.parametrize("question", [
    "Can I take naproxen and my blood thinner together, do they interact?",  # interactions: not in the article
    "My shoulder aches and two fingers tingle all day, is that from this?",  # a body part it never describes
    "What causes gout flares?",  # another condition's causes, not the article's Causes list
    "Is it OK to take tramadol along with amiodarone?",  # a drug the article names beside one it does not
    "could my lupus cause this narrowing?",  # the unknown word is the cause asked about
    "is valium alright for my back spasms?",  # shaped like a drug's name
])
def test_questions_beside_the_article_are_refused(engine, question):
    assert engine.ask(question).abstained, question


@pytest.mark.parametrize("question", [
    "I carry my toddler in my arms all day; what should I avoid for my back?",  # arms, but no symptom in them
    "List every symptom it can cause so I can compare them with mine",  # compared with the patient, not a disease
    "is it fine to keep doing deadlifts at the gym?",  # gym words for heavy lifting (synonym table)
    "I'm slumped on the settee most evenings, is that bad for my back?",  # a rare everyday word beside a close question
])
def test_patient_context_does_not_cause_a_refusal(engine, question):
    assert not engine.ask(question).abstained, question


def test_why_it_hurts_is_answered_by_the_process(engine):
    """Not by the generic 'leading to pain' lines: by the sentence telling how a squeezed nerve comes to hurt."""
    ans = engine.ask("Why would a pinched nerve hurt like this?")
    assert "ischemia" in ans.answer or "blood flow" in ans.answer, ans.answer


@pytest.mark.parametrize("question,said", [
    ("Will I end up needing to go under the knife, or do people get over this some other way?", "conservative management"),
    ("how many times a week do I go to physio and for how long", "2–3 times per week"),
    ("my cousin in law loves hanging off an inversion table, any good for me?", "temporary relief"),
])
def test_a_restated_faq_question_gets_the_faq_answer(engine, question, said):
    """The article's own FAQ answer, though the wording suggests a list, a count or names a surgery."""
    ans = engine.ask(question)
    assert not ans.abstained and said in ans.answer, ans.answer


@pytest.mark.parametrize("question", ["what can bring this narrowing on?", "which supplements does it mention, all of them"])
def test_a_list_question_resembling_an_faq_still_lists(engine, question):
    assert engine.ask(question).intent == "list"


def test_an_amount_asked_about_gets_the_stated_limit_whatever_the_setting(engine):
    """A trip is not a topic the article covers, but the amount asked about is: the limit is quoted, never approved."""
    ans = engine.ask("Before a long flight, is 3500 mg of acetaminophen in a day alright?")
    assert not ans.abstained and "max 3000 mg/day" in ans.answer, ans.answer


@pytest.mark.parametrize("question,said", [
    ("wat does the slump tets check", "Slump Test"),  # chat spelling and two swapped letters
    ("bending down to touch my toes takes the ache away, why is that?", "Forward bending opens the foramen"),
    ("I work 10 hrs on my feet, if it aches should I push thru it?", "Avoid pushing through severe pain"),  # chat abbreviations
    ("how much cymbalta is the usual dose?", "30–60 mg"),  # a brand name is the article's drug
    ("I tend to fall asleep on my stomach, does that matter for my back?", "Avoid sleeping prone"),
    ("three coffees before noon, too much for this?", "Avoid caffeinated beverages in excess"),  # plural, "too much"
    ("Which kinds of workouts should I avoid with this?", "What to Do and What to Avoid"),  # not the Types section
    ("would it be ok to take extra naproxen on my own without checking with anyone?", "Avoid self-prescribed high-dose"),
    ("my thigh muscle is getting thinner, is that part of this?", "wasting of hip flexor muscles"),
    ("how many IU of vitamin D3 should I have?", "1000–2000 IU daily"),  # "how many IU" asks a dose, not a count
    ("can it ever go back to normal, or am I stuck with it?", "bony changes are permanent"),
    ("which x-rays and scans could they do? list them all", "6 entries under *Diagnostic Tests › E. Imaging Tests*"),
])
def test_everyday_wording_reaches_the_articles_line(engine, question, said):
    """Chat spellings, idioms, brand names and lay words reach the article's line."""
    ans = engine.ask(question)
    assert not ans.abstained and said in ans.answer, ans.answer


@pytest.mark.parametrize("question", ["Is it worth trying zoloft for this?", "I'm on lexapro, could that help my back too?"])
def test_a_drug_the_article_does_not_list_is_not_answered_from_its_list(engine, question):
    """The unknown word is what is taken: another drug, however close the rest of the question reads to the article."""
    assert engine.ask(question).abstained


def test_kind_of_stuff_is_a_filler_not_a_request_for_groups(engine):
    ans = engine.ask("how many drug-free treatments does it list, the massage and stretching kind of stuff?")
    assert "**30**" in ans.answer and "Non-Pharmacological" in ans.answer, ans.answer


def test_the_sentence_that_asks_is_matched_with_the_faq_without_the_feelings_around_it(engine):
    ans = engine.ask("My neighbour had a rough time after his back op and now I'm nervous. Is there any way to avoid "
                     "an operation for this?")
    assert ans.intent == "lookup" and "Most cases respond to conservative management" in ans.answer, ans.answer


def test_words_shared_by_several_entry_names_name_a_group(engine):
    """'Stem Cell' stands in three entries' names: that is the list asked for, and 'are those safe?' asks of the group."""
    ans = engine.ask("what stem cell options does it mention?")
    assert ans.intent == "list" and "3 entries marked *Stem Cell*" in ans.answer, ans.answer
    ans = engine.ask("are those safe?", ["what stem cell options does it mention?"])
    assert "Emerging evidence supports safety" in ans.answer, ans.answer


def test_a_figure_question_gets_each_figure_of_that_kind_the_best_hits_state(engine):
    ans = engine.ask("at worst, by what percent does the nerve's gap shrink?")
    assert "50–60%" in ans.answer and "severe (>50%)" in ans.answer, ans.answer


def test_the_scan_a_finding_was_read_in_is_not_the_topic(engine):
    ans = engine.ask("the scan says I have bone spurs, how do those press on the nerve?")
    assert "osteophyte" in ans.answer and not ans.sources[0].section.startswith("Diagnostic"), ans.answer


def test_plain_words_for_an_injection_of_ones_own_blood(engine):
    ans = engine.ask("they want to spin my own blood and inject it, what does that do?")
    assert "Platelet-Rich Plasma" in ans.answer, ans.answer


def test_the_urgent_advice_is_quoted_once(engine):
    ans = engine.ask("burning down into my groin and now I can't hold my bladder, what is going on?")
    assert ans.urgent and ans.answer.count("Seek medical attention if you experience") == 1, ans.answer


def test_a_dose_question_naming_no_drug_takes_the_conversations_drug(engine):
    ans = engine.ask("how much would I take each day?", ["my neighbour swears by glucosamine, tell me about it"])
    assert ans.intent == "dose" and "Glucosamine" in ans.answer, ans.answer


def test_the_sentence_that_asks_names_the_term(engine):
    """The report's wording (and the scan it came from) is context; the term asked about is in the question."""
    ans = engine.ask("My husband's CT report says 'posterolateral narrowing at L1-L2'. What does posterolateral mean?")
    assert "back-and-to-the-side" in ans.answer, ans.answer


def test_a_vertebra_sliding_forward_is_the_articles_slippage(engine):
    ans = engine.ask("the doctor said one bone has slid forward on the one below, what does that do to the nerve?")
    assert "Forward slippage" in ans.answer, ans.answer


def test_requests_for_made_up_text_abstain(engine):
    assert engine.ask("Write a song about my sore back and its nerves").abstained


def test_answers_are_concise(engine, golden_items):
    import statistics

    lengths = []
    for item in golden_items:
        ans = engine.ask(item.question, list(item.history))
        if ans.intent in ("list", "count") and not ans.abstained:
            continue
        assert len(ans.answer) <= 800, (item.id, len(ans.answer))
        lengths.append(len(ans.answer))
    assert statistics.median(lengths) <= 400
