"""Benchmark: matching events against 100 and 1,000 rules, ours against a naive loop and peers.

Rules are 70% equality conditions (``kind == "k3" and region == "r7"``, sometimes a third
term) and 30% thresholds (``amount > 9000 and qty > 90``...), spread over 20 event types,
so about 1% of (rule, event) pairs of the same type match. Every contender gets the same
dispatch by event type before its own evaluation; contexts are built before the clock
starts, so only matching is timed; load/compile times are reported separately.

Peers (``rule-engine``, ``business-rules``, ``durable-rules``, ``simpleeval``, ``cel-python``,
``panzi-json-logic``) are optional: each missing one is skipped with a line saying so. They
are much slower, so they run on a sample of the events (``--peer-events``); rates are per
event either way.

Run ``python benchmarks/bench_rules.py`` (100,000 events) or ``--quick`` for a smoke run.
"""

from __future__ import annotations

import argparse
import operator
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from relationship_core._rules import Context, Rule, RuleIndex

NOW = datetime(2025, 1, 1, tzinfo=UTC)
TYPES = [f"event{i}" for i in range(20)]
KINDS = [f"k{i}" for i in range(10)]
REGIONS = [f"r{i}" for i in range(10)]
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    ">": operator.gt,
    ">=": operator.ge,
}

Term = tuple[str, str, object]  # field, op, value
Spec = tuple[str, str, list[Term]]  # name, event type, conjunction


def make_rules(count: int, seed: int = 11) -> list[Spec]:
    rng = random.Random(seed)
    specs: list[Spec] = []
    for i in range(count):
        terms: list[Term]
        if rng.random() < 0.7:
            terms = [("kind", "==", rng.choice(KINDS)), ("region", "==", rng.choice(REGIONS))]
            if rng.random() < 0.5:
                terms.append(("qty", ">=", rng.randint(0, 10)))
        else:
            terms = [("amount", ">", rng.randint(8_800, 9_200)), ("qty", ">", rng.randint(88, 92))]
            if rng.random() < 0.5:
                terms.append(("score", ">=", rng.randint(0, 100)))
        specs.append((f"rule{i}", rng.choice(TYPES), terms))
    return specs


def make_events(count: int, seed: int = 12) -> list[tuple[str, dict[str, object]]]:
    rng = random.Random(seed)
    return [
        (
            rng.choice(TYPES),
            {
                "kind": rng.choice(KINDS),
                "region": rng.choice(REGIONS),
                "amount": rng.randint(0, 10_000),
                "qty": rng.randint(0, 100),
                "score": rng.randint(0, 1_000),
            },
        )
        for _ in range(count)
    ]


def text_of(terms: list[Term]) -> str:
    return " and ".join(f"e.{f} {op} {v!r}".replace("'", '"') for f, op, v in terms)


def by_type(specs: list[Spec], build: Callable[[Spec], Any]) -> dict[str, list[tuple[str, Any]]]:
    table: dict[str, list[tuple[str, Any]]] = {t: [] for t in TYPES}
    for spec in specs:
        table[spec[1]].append((spec[0], build(spec)))
    return table


def run_dispatched(
    table: dict[str, list[tuple[str, Any]]],
    events: list[tuple[str, Any]],
    test: Callable[[Any, Any], bool],
) -> tuple[float, int]:
    hits = 0
    started = time.perf_counter()
    for event_type, data in events:
        for _name, compiled in table[event_type]:
            if test(compiled, data):
                hits += 1
    return time.perf_counter() - started, hits


# -- peers: each returns (load seconds, build function, test function, data converter) ---------


def peer_rule_engine() -> tuple[
    Callable[[Spec], Any], Callable[[Any, Any], bool], Callable[[dict[str, object]], Any]
]:
    import rule_engine  # type: ignore[import-not-found]

    def build(spec: Spec) -> Any:
        return rule_engine.Rule(
            " and ".join(f"{f} {op} {v!r}".replace("'", '"') for f, op, v in spec[2])
        )

    return build, lambda rule, data: bool(rule.matches(data)), lambda d: d


def peer_simpleeval() -> tuple[
    Callable[[Spec], Any], Callable[[Any, Any], bool], Callable[[dict[str, object]], Any]
]:
    import simpleeval  # type: ignore[import-not-found]

    evaluator = simpleeval.SimpleEval()

    def build(spec: Spec) -> Any:
        text = " and ".join(f"{f} {op} {v!r}" for f, op, v in spec[2])
        return text, evaluator.parse(text)

    def test(compiled: Any, data: Any) -> bool:
        evaluator.names = data
        return bool(evaluator.eval(compiled[0], previously_parsed=compiled[1]))

    return build, test, lambda d: d


def peer_cel() -> tuple[
    Callable[[Spec], Any], Callable[[Any, Any], bool], Callable[[dict[str, object]], Any]
]:
    import celpy  # type: ignore[import-not-found]

    env = celpy.Environment()

    def build(spec: Spec) -> Any:
        text = " && ".join(f"{f} {op} {v!r}".replace("'", '"') for f, op, v in spec[2])
        return env.program(env.compile(text))

    return build, lambda program, data: bool(program.evaluate(data)), celpy.json_to_cel


def peer_json_logic() -> tuple[
    Callable[[Spec], Any], Callable[[Any, Any], bool], Callable[[dict[str, object]], Any]
]:
    from json_logic import jsonLogic  # type: ignore[import-not-found]

    def build(spec: Spec) -> Any:
        return {"and": [{op: [{"var": f}, v]} for f, op, v in spec[2]]}

    return build, lambda logic, data: bool(jsonLogic(logic, data)), lambda d: d


def peer_business_rules() -> tuple[
    Callable[[Spec], Any], Callable[[Any, Any], bool], Callable[[dict[str, object]], Any]
]:
    from business_rules.engine import check_conditions_recursively  # type: ignore[import-not-found]
    from business_rules.variables import (  # type: ignore[import-not-found]
        BaseVariables,
        numeric_rule_variable,
        string_rule_variable,
    )

    def field(name: str, kind: Any) -> Any:
        return kind(lambda self: self.data[name])

    # business-rules finds variables as decorated methods of a BaseVariables subclass
    event_variables = type(
        "EventVariables",
        (BaseVariables,),
        {
            "__init__": lambda self, data: setattr(self, "data", data),
            "kind": field("kind", string_rule_variable),
            "region": field("region", string_rule_variable),
            "amount": field("amount", numeric_rule_variable),
            "qty": field("qty", numeric_rule_variable),
            "score": field("score", numeric_rule_variable),
        },
    )

    names = {"==": "equal_to", ">": "greater_than", ">=": "greater_than_or_equal_to"}

    def build(spec: Spec) -> Any:
        return {"all": [{"name": f, "operator": names[op], "value": v} for f, op, v in spec[2]]}

    return (
        build,
        lambda cond, variables: bool(check_conditions_recursively(cond, variables)),
        event_variables,
    )


PEERS = {
    "rule-engine": peer_rule_engine,
    "business-rules": peer_business_rules,
    "simpleeval": peer_simpleeval,
    "cel-python": peer_cel,
    "panzi-json-logic": peer_json_logic,
}


def durable_rules(
    specs: list[Spec], events: list[tuple[str, dict[str, object]]]
) -> tuple[float, float, int]:
    """durable-rules is a Rete engine that runs actions: time posting events to per-type rulesets."""
    from durable import lang  # type: ignore[import-not-found]

    hits = [0]
    started = time.perf_counter()
    tag = f"b{random.randrange(10**9)}"
    for event_type in TYPES:
        with lang.ruleset(f"{tag}_{event_type}"):
            for _name, t, terms in specs:
                if t != event_type:
                    continue
                expression = None
                for f, op, v in terms:
                    term = OPS[op](getattr(lang.m, f), v)
                    expression = term if expression is None else expression & term
                lang.when_all(expression)(lambda _c, hits=hits: hits.__setitem__(0, hits[0] + 1))
    load = time.perf_counter() - started
    started = time.perf_counter()
    for i, (event_type, data) in enumerate(events):
        try:
            lang.post(f"{tag}_{event_type}", {**data, "sid": str(i)})
        except Exception as exc:
            if type(exc).__name__ != "MessageNotHandledException":  # what it raises on no match
                raise
    return load, time.perf_counter() - started, hits[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small smoke run (CI)")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--peer-events", type=int, default=2_000)
    args = parser.parse_args()
    n_events = 2_000 if args.quick else args.events
    n_peer = min(100 if args.quick else args.peer_events, n_events)
    events = make_events(n_events)
    contexts = [(t, Context({"e": d}, now=NOW)) for t, d in events]
    print(f"{n_events:,} events of {len(TYPES)} types; peers on the first {n_peer:,}")

    for n_rules in (100, 1_000):
        run_case(n_rules, events, contexts, n_peer)


def run_case(
    n_rules: int,
    events: list[tuple[str, dict[str, object]]],
    contexts: list[tuple[str, Context]],
    n_peer: int,
) -> None:
    """Time every contender against *n_rules* rules."""
    n_events = len(events)
    specs = make_rules(n_rules)
    print(f"\n== {n_rules:,} rules ==")
    started = time.perf_counter()
    rules = [Rule.of(name, [t], text_of(terms)) for name, t, terms in specs]
    index = RuleIndex(rules)
    load = time.perf_counter() - started
    started = time.perf_counter()
    ours_hits = sum(len(index.match(t, c)) for t, c in contexts)
    ours = time.perf_counter() - started
    pairs = sum(len([s for s in specs if s[1] == t]) for t, _ in events)
    print(f"matches: {ours_hits:,} of {pairs:,} same-type pairs ({ours_hits / pairs:.2%})")

    ours_per = ours / n_events * 1e6

    def report(name: str, seconds: float, count: int, load_s: float | None = None) -> None:
        per = seconds / count * 1e6
        ratio = per / ours_per
        loaded = f"  load {load_s * 1e3:8.1f} ms" if load_s is not None else ""
        print(
            f"{name:<22} {count / seconds:>12,.0f} events/s  {per:>9.2f} us/event  ours is {ratio:>7.1f}x faster{loaded}"
        )

    print(
        f"{'relationship_core':<22} {n_events / ours:>12,.0f} events/s  {ours / n_events * 1e6:>9.2f} us/event{'':24}  load {load * 1e3:8.1f} ms"
    )

    # the same compiled conditions without the index: cost of one evaluation
    evaluators = {rule.name: rule.condition.evaluate for rule in index.rules}
    table = by_type(specs, lambda s: evaluators[s[0]])
    unindexed, hits = run_dispatched(table, contexts, lambda test, ctx: test(ctx))
    assert hits == ours_hits, (hits, ours_hits)
    evaluations = sum(len(table[t]) for t, _ in events)
    report("ours, no index", unindexed, n_events)
    print(f"{'':22} {unindexed / evaluations * 1e6:.2f} us per compiled condition")

    # the naive loop: every rule for every event, conditions as plain Python
    checks = [(t, [(field, OPS[op], value) for field, op, value in terms]) for _, t, terms in specs]
    started = time.perf_counter()
    naive_hits = 0
    for event_type, data in events:
        for t, terms in checks:
            if t == event_type and all(test(data[f], v) for f, test, v in terms):
                naive_hits += 1
    naive = time.perf_counter() - started
    assert naive_hits == ours_hits, (naive_hits, ours_hits)
    report("naive Python loop", naive, n_events)

    run_peers(specs, events[:n_peer], contexts[:n_peer], index, report)


def run_peers(
    specs: list[Spec],
    sample: list[tuple[str, dict[str, object]]],
    sample_contexts: list[tuple[str, Context]],
    index: RuleIndex,
    report: Callable[..., None],
) -> None:
    """Each installed peer, with the same dispatch by event type, on the sample."""
    expected = sum(len(index.match(t, c)) for t, c in sample_contexts)
    for name, make in PEERS.items():
        try:
            build, test, convert = make()
        except ImportError:
            print(f"{name:<22} skipped: not installed (pip install {name})")
            continue
        started = time.perf_counter()
        peer_table = by_type(specs, build)
        peer_load = time.perf_counter() - started
        converted = [(t, convert(d)) for t, d in sample]
        seconds, hits = run_dispatched(peer_table, converted, test)
        if hits != expected:
            print(f"{name:<22} disagrees: {hits} matches, expected {expected}")
        report(name, seconds, len(sample), peer_load)
    try:
        durable_load, durable_s, _ = durable_rules(specs, sample)
    except ImportError:
        print(f"{'durable-rules':<22} skipped: not installed (pip install durable-rules)")
    else:
        report("durable-rules", durable_s, len(sample), durable_load)


if __name__ == "__main__":
    main()
