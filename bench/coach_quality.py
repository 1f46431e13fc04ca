"""Measure the blameless coach on tests/data/blame_sentences.jsonl and blame_holdout.jsonl: precision, recall.

    .venv/bin/python bench/coach_quality.py          # figures
    .venv/bin/python bench/coach_quality.py -v       # and every misclassified sentence

blame_sentences.jsonl holds the sentences the rules were written against (its "holdout" and
"holdout-2" sets were written after earlier rules, and the rules have been tuned since);
blame_holdout.jsonl was written after the sentence-structure rules and measured once, untuned.
The built-in sentence-structure rules (postmortems/coach/structure.py) are measured with the rows.

A sentence counts as flagged when the coach finds blaming, counterfactual, minimising or
person-as-cause language in it. Action-item quality findings (vague items) are not about blame
and are left out of the measure; tests/postmortems/test_coach_actions.py covers them.
By default the rules the migrations ship (0004_ship_language_rules, tuned by 0005 and 0006) are measured;
--database measures the rules in the configured database instead (after facilitators' edits).
"""

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

DATASET = ROOT / "tests" / "data" / "blame_sentences.jsonl"
HOLDOUT = ROOT / "tests" / "data" / "blame_holdout.jsonl"
LANGUAGE_CATEGORIES = {"blame", "counterfactual", "minimising", "person_as_cause"}


def shipped_rules():
    """Compile the rules as the migrations ship them (0004, tuned by 0005 and 0006), without a database."""
    from postmortems.coach import patterns

    shipped = importlib.import_module("postmortems.migrations.0004_ship_language_rules").RULES
    latest = importlib.import_module("postmortems.migrations.0006_language_rules_never_had_to_do_procedures")
    rows = [
        {
            "slug": r["slug"],
            "pattern": latest.CHANGES[r["slug"]](latest.current(r["slug"])) if r["slug"] in latest.CHANGES
            else latest.current(r["slug"]),
            "is_regex": True,
            "category": r["category"],
            "message": r["message"],
            "suggestion": r["suggestion"],
            "section_kinds": r["kinds"],
        }
        for r in shipped
    ]
    rows += [dict(r, is_regex=True) for r in latest.NEW_RULES]
    return patterns.compile_rules(rows)


def load_dataset(path=DATASET):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluate(rows, rules):
    """Return (counts, misclassified) for `rows` checked with `rules`."""
    from postmortems.coach import engine

    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    wrong = []
    for row in rows:
        findings = engine.check_texts([("s", row["kind"], row["text"])], names=row.get("names", ()), rules=rules)
        findings = [f for f in findings if f.category in LANGUAGE_CATEGORIES]
        flagged = bool(findings)
        key = ("t" if flagged == row["blaming"] else "f") + ("p" if flagged else "n")
        counts[key] += 1
        if flagged != row["blaming"]:
            wrong.append((row, findings))
    return counts, wrong


def _ratio(part, whole):
    return f"{part / whole:.3f}" if whole else "n/a"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list misclassified sentences")
    parser.add_argument("--database", action="store_true", help="measure the rules in the database")
    parser.add_argument("--dataset", default=str(DATASET))
    parser.add_argument("--holdout", default=str(HOLDOUT))
    args = parser.parse_args(argv)

    import django

    django.setup()
    from postmortems.coach import checks, structure

    rules = checks.load_rules() if args.database else shipped_rules() + list(structure.RULES)
    rows = load_dataset(args.dataset)
    counts, wrong = evaluate(rows, rules)
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    print(f"sentences: {len(rows)} (blaming {tp + fn}, not blaming {fp + tn}); rules: {len(rules)}")
    print(f"true positives {tp}, false positives {fp}, false negatives {fn}, true negatives {tn}")
    print(f"precision: {_ratio(tp, tp + fp)}")
    print(f"recall:    {_ratio(tp, tp + fn)}")
    # "holdout" sentences were written after the rules, to see how they carry over to new phrasings.
    for name in sorted({row.get("set", "development") for row in rows}):
        part = [row for row in rows if row.get("set", "development") == name]
        c, _ = evaluate(part, rules)
        print(f"  {name}: {len(part)} sentences, precision {_ratio(c['tp'], c['tp'] + c['fp'])}, "
              f"recall {_ratio(c['tp'], c['tp'] + c['fn'])}")
    holdout = load_dataset(args.holdout)
    c, wrong_holdout = evaluate(holdout, rules)
    print(f"holdout file {Path(args.holdout).name}: {len(holdout)} sentences (blaming {c['tp'] + c['fn']}, "
          f"not blaming {c['fp'] + c['tn']}); tp {c['tp']}, fp {c['fp']}, fn {c['fn']}, tn {c['tn']}; "
          f"precision {_ratio(c['tp'], c['tp'] + c['fp'])}, recall {_ratio(c['tp'], c['tp'] + c['fn'])}")
    if args.verbose:
        for row, findings in wrong + wrong_holdout:
            label = "missed (blaming)" if row["blaming"] else "flagged (not blaming)"
            print(f"\n{label} [{row['kind']}]: {row['text']}")
            for f in findings:
                print(f"    {f.rule_slug} ({f.category}): {f.text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
