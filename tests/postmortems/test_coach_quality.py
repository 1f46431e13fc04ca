"""The coach's measured quality on tests/data/blame_sentences.jsonl (bench/coach_quality.py prints the figures)."""

import json
from pathlib import Path

import pytest

from postmortems.coach import checks, engine

pytestmark = pytest.mark.django_db

DATASET = Path(__file__).resolve().parent.parent / "data" / "blame_sentences.jsonl"
LANGUAGE = {"blame", "counterfactual", "minimising", "person_as_cause"}


def rows():
    return [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_dataset_is_large_labelled_and_has_hard_negatives():
    data = rows()
    assert len(data) >= 150
    assert all(isinstance(r["blaming"], bool) and r["kind"] in engine.KINDS and r["text"].strip() for r in data)
    assert len({r["text"] for r in data}) == len(data), "duplicate sentences"
    positives = [r for r in data if r["blaming"]]
    negatives = [r for r in data if not r["blaming"]]
    assert len(positives) >= 60 and len(negatives) >= 60
    assert {r["category"] for r in positives} == LANGUAGE
    notes = " ".join(r.get("note", "") for r in negatives)
    for kind_of_hard_negative in ("technical", "quoted", "plan", "credits"):
        assert kind_of_hard_negative in notes
    assert any(r["kind"] == "action_item" for r in negatives)


def test_precision_and_recall_meet_the_targets():
    tp = fp = fn = 0
    wrong = []
    for row in rows():
        found = [f for f in checks.check_texts([("s", row["kind"], row["text"])], names=row.get("names", ()))
                 if f.category in LANGUAGE]
        if found and row["blaming"]:
            tp += 1
        elif found:
            fp += 1
            wrong.append(("flagged", row["text"]))
        elif row["blaming"]:
            fn += 1
            wrong.append(("missed", row["text"]))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.9, wrong
    assert recall >= 0.85, wrong


def test_positives_are_flagged_in_their_labelled_category():
    """Beyond flagged-or-not: most blaming sentences are caught by the category they were written for."""
    positives = [r for r in rows() if r["blaming"]]
    hits = 0
    for row in positives:
        # The whole coach: the rule rows and the sentence-structure rules (the sentences include both kinds).
        found = checks.check_writing([("s", row["kind"], row["text"])], names=row.get("names", ()))
        hits += any(f.category == row["category"] for f in found)
    assert hits / len(positives) >= 0.85


def test_the_benchmark_measures_the_rules_the_migrations_ship():
    from bench.coach_quality import shipped_rules
    from postmortems.models import LanguageRule

    in_database = {(r.slug, r.pattern, r.category, tuple(r.section_kinds)) for r in LanguageRule.objects.all()}
    measured = {(r.slug, r.source, r.category, tuple(sorted(r.kinds or ()))) for r in shipped_rules()}
    assert {(s, p, c, tuple(sorted(k))) for s, p, c, k in in_database} == measured
