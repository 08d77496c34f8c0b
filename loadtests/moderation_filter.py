"""Chat filter speed: time per message with a 3,000-term list, against better-profanity alone.

The term list is the shipped lexicon plus generated per-tenant custom terms (some
with wildcards, some phrases) up to ``--terms`` blocked terms, all compiled into one
matcher. The messages are the labelled evaluation set (clean TV, sports and film
talk, other languages, profanity, slurs and every kind of evasion) plus longer
messages made by joining a few of them, in a fixed shuffled order.

Prints a table and writes JSON to loadtests/results/moderation_filter.json.

    .venv/bin/python -m loadtests.moderation_filter --rounds 20
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

from better_profanity import Profanity

from socialsync.domain.model import RoomType
from socialsync.domain.moderation import ChatFilter, CustomTerms, default_lexicon
from socialsync.domain.moderation.normalise import fold
from socialsync.domain.moderation.words import layout

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "moderation" / "labelled.tsv"
RESULTS = ROOT / "loadtests" / "results" / "moderation_filter.json"
_UNESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")


def load_messages(seed: int = 7) -> list[str]:
    texts = []
    for raw in LABELLED.read_text("utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            text = raw.split("\t")[2]
            texts.append(_UNESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text))
    rng = random.Random(seed)
    # Real chat is mostly short, with a tail of long messages (up to the 500-character cap).
    long_ones = [" ".join(rng.sample(texts, rng.randint(3, 8)))[:500] for _ in range(len(texts) // 5)]
    messages = texts + long_ones
    rng.shuffle(messages)
    return messages


def generated_terms(count: int, seed: int = 11) -> tuple[str, ...]:
    """Pseudo-words a tenant might block: names, brands, spoilers; some wildcards, some phrases."""
    rng = random.Random(seed)
    terms: set[str] = set()
    while len(terms) < count:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 10)))
        shape = rng.random()
        if shape < 0.15:
            word += "*"
        elif shape < 0.20:
            word = "*" + word
        elif shape < 0.30:
            word += " " + "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 7)))
        terms.add(word)
    return tuple(sorted(terms))


def time_each(
    messages: list[str], rounds: int, call: Callable[[str, int], object]
) -> dict[str, dict[str, float]]:
    """Microseconds per call, every message ``rounds`` times: wall clock, and this thread's
    CPU time, which a busy machine's preemptions do not inflate."""
    wall: list[float] = []
    cpu: list[float] = []
    n = 0
    for _ in range(rounds):
        for text in messages:
            wall_start, cpu_start = time.perf_counter_ns(), time.thread_time_ns()
            call(text, n)
            cpu.append((time.thread_time_ns() - cpu_start) / 1000)
            wall.append((time.perf_counter_ns() - wall_start) / 1000)
            n += 1
    return {"wall": summary(wall), "cpu": summary(cpu)}


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "median_us": round(statistics.median(ordered), 1),
        "p99_us": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
        "mean_us": round(statistics.fmean(ordered), 1),
        "max_us": round(ordered[-1], 1),
    }


def run(rounds: int, term_count: int) -> dict[str, object]:
    messages = load_messages()
    lexicon = default_lexicon()
    padding = generated_terms(max(0, term_count - len(lexicon.blocked)))
    tenant = CustomTerms(blocked=padding)
    start = time.perf_counter()
    chat_filter = ChatFilter(tenant_terms=tenant)
    compile_ms = (time.perf_counter() - start) * 1000
    matcher = chat_filter.matcher_for(None)
    start = time.perf_counter()
    chat_filter.matcher_for(CustomTerms(blocked=("a room's own term",)))
    room_compile_ms = (time.perf_counter() - start) * 1000

    def check(text: str, n: int) -> object:
        room_type = RoomType.LIVE_ROOM if n % 2 else RoomType.WATCH_PARTY
        return chat_filter.check(
            text, room_type=room_type, user_id=f"u{n % 500}", now_ms=n * 50, room_id="bench"
        )

    ours_full = time_each(messages, rounds, check)
    ours_words = time_each(messages, rounds, lambda text, _: matcher.find(layout(fold(text))))

    stock = Profanity()
    bp_default = time_each(messages, max(1, rounds // 5), lambda text, _: stock.contains_profanity(text))
    bp_censor = time_each(messages, max(1, rounds // 5), lambda text, _: stock.censor(text))
    padded = Profanity(list(padding) + [t.pattern.strip("*") for t in lexicon.blocked])
    bp_padded = time_each(messages, 1, lambda text, _: padded.contains_profanity(text))

    return {
        "messages": len(messages),
        "mean_message_chars": round(statistics.fmean(len(m) for m in messages), 1),
        "blocked_terms": len(lexicon.blocked) + len(padding),
        "allowed_terms": len(lexicon.allowed),
        "automaton_keys": matcher.key_count,
        "compile_ms": round(compile_ms, 1),
        "room_terms_compile_ms": round(room_compile_ms, 1),
        "rounds": rounds,
        "python": sys.version.split()[0],
        # Timings on a shared machine: a high load average inflates the tails.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "results": {
            "ours: ChatFilter.check (words, rules, duplicates, policy)": ours_full,
            "ours: word matching only (normalise + match)": ours_words,
            "better-profanity contains_profanity, its ~900 words": bp_default,
            "better-profanity censor, its ~900 words (current adapter)": bp_censor,
            "better-profanity contains_profanity, our padded term list": bp_padded,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20, help="passes over the message mix")
    parser.add_argument("--terms", type=int, default=3_000, help="blocked terms in the compiled list")
    args = parser.parse_args()
    report = run(args.rounds, args.terms)
    print(
        f"{report['messages']} messages (mean {report['mean_message_chars']} chars), "
        f"{report['blocked_terms']} blocked + {report['allowed_terms']} allowed terms, "
        f"{report['automaton_keys']} automaton keys, compiled in {report['compile_ms']} ms"
    )
    print(
        f"a room's own terms compile (with the shared ones, cached) in {report['room_terms_compile_ms']} ms"
    )
    print(f"{'':60} {'wall median':>11} {'wall p99':>9} {'cpu median':>11} {'cpu p99':>9} {'n':>6}")
    results = report["results"]
    assert isinstance(results, dict)
    for name, row in results.items():
        wall, cpu = row["wall"], row["cpu"]
        print(
            f"{name:60} {wall['median_us']:>11} {wall['p99_us']:>9} {cpu['median_us']:>11} {cpu['p99_us']:>9}"
            f" {wall['n']:>6}"
        )
    print(f"(µs per message; load average {report['load_average_1m']} on {os.cpu_count()} cores)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
