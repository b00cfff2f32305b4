"""The parser finds what a reader counts in the article, with clean text and exact provenance."""
from __future__ import annotations

from collections import Counter

import pytest

from bot.corpus import parse_article, strip_sources
from bot.errors import CorpusError

EXPECTED = {
    ("Causes",): 20,
    ("Symptoms",): 20,
    ("Pharmacological Treatments",): 20,
    ("Dietary Molecular Supplements",): 10,
    ("Advanced Pharmacological Interventions",): 10,
    ("Surgical Interventions",): 10,
    ("Frequently Asked Questions (FAQs)",): 15,
    ("Prevention Strategies",): 10,
    ("What to Do and What to Avoid",): 10,
    ("Types of Posterolateral Foraminal Narrowing",): 5,
    ("Diagnostic Tests", "A. Physical Examination"): 6,
    ("Diagnostic Tests", "B. Manual Tests"): 6,
    ("Diagnostic Tests", "C. Lab & Pathological Tests"): 6,
    ("Diagnostic Tests", "D. Electrodiagnostic Tests"): 6,
    ("Diagnostic Tests", "E. Imaging Tests"): 6,
    ("Non-Pharmacological Treatments", "A. Physiotherapy and Electrotherapy Therapies"): 15,
    ("Non-Pharmacological Treatments", "B. Exercise Therapies"): 8,
    ("Non-Pharmacological Treatments", "C. Mind–Body Techniques"): 5,
    ("Non-Pharmacological Treatments", "D. Educational Self-Management"): 2,
}
PUBLISHERS = ["Radiopaedia", "Cleveland Clinic", "WebMD", "NCBI", "Radiology Assistant", "Radiology Key",
              "Cedars-Sinai", "Verywell Health", "SpringerOpen", "PMC", "Precision Health"]


def test_entry_counts_and_paths(article_doc):
    counts = Counter(c.section for c in article_doc.chunks if c.kind == "entry")
    for path, n in EXPECTED.items():
        assert counts[path] == n, (path, counts[path])


@pytest.mark.parametrize("path,title", [
    (("Causes",), "Degenerative Disc Disease"),
    (("Symptoms",), "Shooting Pain on Cough/Valsalva"),
    (("Pharmacological Treatments",), "Gabapentin (Neuropathic Pain Agent)"),
    (("Diagnostic Tests", "E. Imaging Tests"), "Bone Scan (Tc-99m)"),
    (("Frequently Asked Questions (FAQs)",), "Do inversion tables help?"),
])
def test_known_entries_have_their_section(article_doc, path, title):
    found = [c for c in article_doc.chunks if c.title == title]
    assert len(found) == 1 and found[0].section == path


def test_no_glued_sources_or_bullets_in_text(article_doc):
    for c in article_doc.chunks:
        for name in PUBLISHERS:
            assert name not in c.text, (c.id, name)
        assert c.text.strip() != "-" and not c.text.endswith(" -"), c.id
        assert not c.quote.endswith(" -")
        assert "\n-\n" not in c.text


def test_cited_sources_kept_as_data(article_doc):
    ddd = next(c for c in article_doc.chunks if c.title == "Degenerative Disc Disease")
    assert ddd.cited == ("Radiology Assistant", "Cleveland Clinic")
    assert ddd.text == "Over time, discs lose water and height, collapsing the foramen vertically and squeezing the nerve root."


def test_offsets_point_into_the_raw_article(article_doc):
    raw = article_doc.raw
    for c in article_doc.chunks:
        span = raw[c.start : c.end]
        assert c.title.split(":")[0][:20] in span or c.text[:30] in span, c.id
        # the quotable text is the raw span minus the scrape's noise
        assert c.text.rstrip(".")[:40] in span


def test_quotes_are_slices_of_the_clean_article(article_doc):
    for c in article_doc.chunks:
        assert c.quote in article_doc.clean_text
        assert c.text in article_doc.clean_text


def test_disclaimer_is_the_articles_own(article_doc):
    assert article_doc.disclaimer.startswith("Disclaimer: Each person")


def test_strip_sources_needs_a_space_and_a_known_name():
    names = ("Cleveland Clinic", "WebMD")
    assert strip_sources("pain WebMDCleveland Clinic.", names) == ("pain.", ("WebMD", "Cleveland Clinic"))
    assert strip_sources("pain is WebMD.", ()) == ("pain is WebMD.", ())
    assert strip_sources("ends in -", names) == ("ends in", ())


@pytest.mark.parametrize("raw,msg", [("", "empty"), ("just one sentence without headings.\n", "no section headings")])
def test_bad_articles_are_refused_with_a_reason(raw, msg):
    with pytest.raises(CorpusError, match=msg):
        parse_article(raw, "bad")


def test_several_articles_each_name_their_document(tmp_path, article_doc):
    from bot.corpus import load_corpus

    (tmp_path / "one.txt").write_text(article_doc.raw, encoding="utf-8")
    (tmp_path / "two.txt").write_text(article_doc.raw, encoding="utf-8")
    (tmp_path / "broken.txt").write_bytes(b"\xff\xfe\x00binary")
    docs, problems = load_corpus(tmp_path)
    assert [d.name for d in docs] == ["one", "two"]
    assert len(problems) == 1 and "broken.txt" in problems[0]
    assert {c.doc for c in docs[1].chunks} == {"two"}
