"""Time the blameless coach on a 5,000-word post-mortem (target: under 20 ms).

    .venv/bin/python bench/coach_speed.py              # check_texts on the shipped rules
    .venv/bin/python bench/coach_speed.py --runs 50

Prints the median and the slowest of --runs timed checks after one warm-up run (which compiles
the rules; later checks reuse them, as the running app does), in wall-clock time and in CPU
time (the fairer figure on a busy machine). The text is a worst case: built from the labelled
sentences in tests/data/blame_sentences.jsonl (half of them blaming) plus neutral narrative,
split over ten sections, 40 timeline events, 8 factors and 12 action items, with 300 users'
names to match. Reading the rules from the database (one query) is not included.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

NEUTRAL = [
    "At 14:02 the error rate on the checkout service rose above five percent.",
    "The on-call engineer acknowledged the page and opened the service dashboard.",
    "Latency on the payments API climbed steadily while the connection pool stayed full.",
    "The team compared the running configuration with the one in the repository.",
    "A rollback of the configuration change restored the connection limit to its old value.",
    "Requests from the mobile clients retried in lockstep because the retry policy had no jitter.",
    "The database replica fell behind by several minutes during the backup window.",
    "Customers saw timeouts when they tried to pay with a saved card.",
    "The incident commander asked for a status update every fifteen minutes in the channel.",
    "Traffic shifted to the second region once the health checks marked the first one unhealthy.",
]


def build_postmortem(words=5000, seed=7):
    from coach_quality import load_dataset

    rng = random.Random(seed)
    sentences = [row["text"] for row in load_dataset()] + NEUTRAL * 8
    texts, count = [], 0
    kinds = ["summary", "impact"] + ["narrative"] * 6 + ["lessons", "supporting"]
    bodies = {i: [] for i in range(len(kinds))}
    budget = int(words * 0.8)
    while count < budget:
        sentence = rng.choice(sentences)
        bodies[rng.randrange(len(kinds))].append(sentence)
        count += len(sentence.split())
    for i, kind in enumerate(kinds):
        paragraphs = [" ".join(bodies[i][j:j + 5]) for j in range(0, len(bodies[i]), 5)]
        texts.append((f"section:{i + 1}", kind, "\n\n".join(paragraphs)))
    for i in range(40):
        sentence = rng.choice(sentences)
        texts.append((f"timeline:{i + 1}", "timeline", f"{14 + i // 60:02d}:{i % 60:02d} {sentence}"))
        count += len(sentence.split()) + 1
    for i in range(8):
        sentence = rng.choice(sentences)
        texts.append((f"factor:{i + 1}", "factor", sentence))
        count += len(sentence.split())
    for i in range(12):
        title = rng.choice(["Investigate the retry policy", "Add an alert on replication lag above 30 s",
                            "Improve monitoring", "Make sure the runbook is up to date",
                            "Block deploys that skip the canary stage"])
        texts.append((f"action:{i + 1}", "action_item", title))
        count += len(title.split())
    while count < words:
        sentence = rng.choice(NEUTRAL)
        location, kind, body = texts[2]
        texts[2] = (location, kind, body + " " + sentence)
        count += len(sentence.split())
    return texts, count


def user_names(n=300, seed=11):
    from postmortems.coach.words import GIVEN_NAMES

    rng = random.Random(seed)
    given = sorted(GIVEN_NAMES)
    names = set()
    for i in range(n):
        first, last = rng.choice(given), rng.choice(["Nakamura", "Okafor", "Lindqvist", "Castellanos", "Berg",
                                                       "Khan", "Ortega", "Smith", "Novak", "Rossi", "Silva"])
        names |= {first, last, f"{first.lower()}.{last.lower()}{i}"}
    return sorted(names)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--rows-only", action="store_true",
                        help="leave out the built-in sentence-structure rules (to see what they cost)")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from coach_quality import shipped_rules

    from postmortems.coach import engine, structure

    rules = shipped_rules() + ([] if args.rows_only else list(structure.RULES))
    texts, words = build_postmortem(args.words)
    names = user_names()
    actions = [engine.ActionFacts(location=loc, text=t, priority="high", has_owner=False, has_due_date=True)
               for loc, kind, t in texts if kind == "action_item"]

    def run():
        findings = engine.check_texts(texts, names=names, rules=rules)
        return findings + engine.check_action_items(actions)

    findings = run()  # warm-up: compiles the {name} rules for this document's names
    timings, cpu = [], []
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    chars = sum(len(t) for _, _, t in texts)
    print(f"post-mortem: {words} words, {chars} characters, {len(texts)} texts; {len(rules)} rules; "
          f"{len(names)} user names; {len(findings)} findings")
    print(f"median: {statistics.median(timings):.1f} ms   slowest: {max(timings):.1f} ms   "
          f"({args.runs} runs, wall clock)")
    print(f"median: {statistics.median(cpu):.1f} ms   slowest: {max(cpu):.1f} ms   (CPU time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
