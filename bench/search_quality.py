"""Measure how well the library's search answers the questions people type, on both engines.

Runs the labelled queries of bench/search_quality.json (see its note) through knowledge.search as a
facilitator, over a throwaway database per engine: the demo post-mortems, then demo + DFDS
(tests/data/dfds), then DFDS alone, then a small synthetic corpus from bench/search.py. Prints, per
engine and corpus, the top-3 hit rate (an expected document among the first three), the MRR (of
the first expected document), the share of labelled queries answered with zero results, and
whether the queries that share no word with any document got zero.

    .venv/bin/python bench/search_quality.py                     # SQLite, and PostgreSQL if DATABASE_URL is set
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_dev .venv/bin/python bench/search_quality.py --verbose

On PostgreSQL it creates and drops a database named after DATABASE_URL's with "_quality" appended.
Targets: top-3 at least 0.95; zero results only for the queries that share no word with any document.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _django import configure  # noqa: E402 (bench/ is the script's folder)

LABELS = ROOT / "bench" / "search_quality.json"
DFDS = ROOT / "tests" / "data" / "dfds"
BENCH_SIZE = 2000


def _keys():
    """Return {post-mortem id: label key}: demo slugs, DFDS file stems, bench slugs."""
    from postmortems.models import PostMortem

    keys = {}
    for pk, slug, source in PostMortem.objects.values_list("pk", "slug", "source_path"):
        keys[pk] = Path(source).stem if source else slug
    return keys


def _evaluate(queries, user, verbose: bool) -> dict:
    from knowledge.models import SearchDocument
    from knowledge.search import Filters, search
    from knowledge.search.documents import clean_text

    keys = _keys()
    hits = reciprocal = zero = labelled = 0
    no_word_ok = no_word = 0
    for item in queries:
        outcome = search(user=user, text=item["q"], filters=Filters(), limit=10)
        found = [keys.get(pk, str(pk)) for pk in outcome.ids]
        note = f"partial {outcome.matched_words}/{outcome.query_words}" if outcome.partial else ""
        note += f" corrected to {outcome.corrected!r}" if outcome.corrected else ""
        if "must_match_words" in item:  # synthetic corpus: every top-3 result carries every word
            labelled += 1
            top = SearchDocument.objects.filter(pk__in=outcome.ids[:3])
            texts = [clean_text(f"{d.title} {d.summary} {d.body} {d.keywords}").lower() for d in top]
            good = bool(texts) and all(w in t for t in texts for w in item["must_match_words"])
            hits += good
            reciprocal += good
            zero += not outcome.total
            if verbose and not good:
                print(f"    MISS {item['q']!r}: {outcome.total} results {note}")
            continue
        expected = item["expected"]
        if not expected:
            no_word += 1
            no_word_ok += outcome.total == 0
            if verbose and outcome.total:
                print(f"    NOT ZERO {item['q']!r}: {found[:3]} {note}")
            continue
        labelled += 1
        zero += not outcome.total
        ranks = [found.index(key) + 1 for key in expected if key in found]
        first = min(ranks) if ranks else None
        hits += bool(first and first <= 3)
        reciprocal += 1 / first if first else 0
        if verbose and not (first and first <= 3):
            print(f"    MISS {item['q']!r}: expected {expected[0]}, got {found[:3]} ({outcome.total}) {note}")
    return {"queries": labelled, "top3": hits / labelled if labelled else 0, "mrr": reciprocal / labelled
            if labelled else 0, "zero": zero / labelled if labelled else 0, "no_word": no_word,
            "no_word_zero": no_word_ok}


def _reindex():
    from knowledge.search import rebuild_index

    rebuild_index()


def run_engine(verbose: bool) -> dict:
    from io import StringIO

    from django.contrib.auth.models import User
    from django.core.management import call_command

    from postmortems.models import PostMortem

    labels = json.loads(LABELS.read_text())["queries"]
    by_corpus = {name: [q for q in labels if q["corpus"] == name] for name in ("demo", "all", "dfds", "bench")}
    quiet = {"stdout": StringIO(), "stderr": StringIO()}
    call_command("load_demo", **quiet)
    facilitator = User.objects.get(username="facilitator")
    results = {}
    _reindex()
    results["demo"] = _evaluate(by_corpus["demo"], facilitator, verbose)
    demo_ids = list(PostMortem.objects.values_list("pk", flat=True))
    call_command("import_markdown", str(DFDS), "--status", "published", **quiet)
    _reindex()
    results["all"] = _evaluate(by_corpus["all"], facilitator, verbose)
    PostMortem.objects.filter(pk__in=demo_ids).delete()
    _reindex()
    results["dfds"] = _evaluate(by_corpus["dfds"], facilitator, verbose)
    PostMortem.objects.all().delete()
    import search as bench_search  # bench/search.py: the synthetic corpus

    bench_search.fill(BENCH_SIZE, 20240601)
    results["bench"] = _evaluate(by_corpus["bench"], facilitator, verbose)
    return results


def child(verbose: bool) -> None:
    from django.conf import settings
    from django.db import connection

    name = settings.DATABASES["default"]["NAME"]
    if connection.vendor == "postgresql":  # SQLite's test database is in memory
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{name}_quality"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        results = run_engine(verbose)
    finally:
        connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)
    print(json.dumps({"engine": connection.vendor, "results": results}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list the queries that miss")
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        configure("/tmp/hindsight-search-quality.sqlite3" if args.child == "sqlite" else None)
        child(args.verbose)
        return
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else [])
    totals = {}
    for engine in engines:
        env = dict(os.environ)
        if engine == "sqlite":
            env.pop("DATABASE_URL", None)
        print(f"{engine}: loading the corpora and running {len(json.loads(LABELS.read_text())['queries'])} "
              "queries …", flush=True)
        done = subprocess.run([sys.executable, __file__, "--child", engine] + (["--verbose"] if args.verbose else []),
                              env=env, capture_output=True, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            sys.exit(f"{engine} failed:\n{done.stderr[-3000:]}")
        for line in lines[:-1]:
            print(line)
        totals[engine] = json.loads(lines[-1])["results"]
    print()
    print(f"{'engine':<12}{'corpus':<8}{'queries':>8}{'top-3':>8}{'MRR':>8}{'zero':>8}  no-word queries with zero")
    for engine, results in totals.items():
        for corpus, r in results.items():
            no_word = f"{r['no_word_zero']}/{r['no_word']}" if r["no_word"] else "-"
            print(f"{engine:<12}{corpus:<8}{r['queries']:>8}{r['top3']:>8.2f}{r['mrr']:>8.2f}{r['zero']:>8.2f}  "
                  f"{no_word}")
        n = sum(r["queries"] for r in results.values())
        top3 = sum(r["top3"] * r["queries"] for r in results.values()) / n
        mrr = sum(r["mrr"] * r["queries"] for r in results.values()) / n
        zero = sum(r["zero"] * r["queries"] for r in results.values()) / n
        print(f"{engine:<12}{'overall':<8}{n:>8}{top3:>8.2f}{mrr:>8.2f}{zero:>8.2f}")


if __name__ == "__main__":
    main()
