"""Lifetime-value models against lifetimes 0.11.3, side by side, with ratios.

Run in an environment with both packages (lifetimes needs pandas < 3)::

    python benchmarks/bench_ltv.py            # full sizes (1,000,000 customers)
    python benchmarks/bench_ltv.py --quick    # CI smoke: small sizes, lifetimes optional

Cases: every model's fit on the CDNOW sample (BG/BB on the donations data of
Fader, Hardie and Shang); BG/NBD on distinct simulated customers; the CDNOW
sample replicated 100 times (no weights given: our fit collapses repeated rows
by itself); BG/NBD, Pareto/NBD and MBG/NBD on 1,000,000 simulated customers
with whole-day recency and age, collapsed into unique rows with weights given
to both libraries; BG/BB on a simulated 30-period panel (patterns with
weights); Gamma-Gamma on simulated repeat buyers; CLV (BG/NBD + Gamma-Gamma, 12
monthly steps, 1% a month) for simulated customers. Each timing is the best of
a few runs; the ratio is lifetimes' time over ours. The log-likelihoods are
both ours, evaluated at each library's estimate (one yardstick), so ``ll
diff`` (ours minus lifetimes') >= -1e-3 means our optimum is at least as good.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relationship_core.analytics._clv import Horizon, customer_lifetime_value
from relationship_core.analytics._models import _fit, bgbb, bgnbd, gammagamma, paretonbd
from relationship_core.analytics._models.bgbb import BetaGeoBetaBinomModel
from relationship_core.analytics._models.bgnbd import BetaGeoModel
from relationship_core.analytics._models.gammagamma import GammaGammaModel
from relationship_core.analytics._models.mbgnbd import ModifiedBetaGeoModel
from relationship_core.analytics._models.paretonbd import ParetoNBDModel

# Repeat donations 1996-2001 of the 1995 first-time donors (FHS 2010, table 1).
DONATIONS = [
    (0, 0, 3464), (1, 1, 1091), (1, 2, 277), (1, 3, 129), (1, 4, 78), (1, 5, 119),
    (1, 6, 129), (2, 2, 613), (2, 3, 255), (2, 4, 155), (2, 5, 173), (2, 6, 234),
    (3, 3, 322), (3, 4, 181), (3, 5, 225), (3, 6, 357), (4, 4, 240), (4, 5, 284),
    (4, 6, 512), (5, 5, 335), (5, 6, 728), (6, 6, 1203),
]  # fmt: skip

SHARED_CDNOW = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow" / "CDNOW_sample.txt"
)


def cdnow_transactions() -> pd.DataFrame:
    """Purchase records (customer, date, amount): the packaged dataset, else the shared file."""
    try:
        from relationship_core.analytics.datasets import load_cdnow_sample

        frame = load_cdnow_sample()
        return frame[["customer_id", "date", "amount"]]
    except ImportError:
        raw = pd.read_csv(
            SHARED_CDNOW,
            sep=r"\s+",
            header=None,
            names=["master", "customer_id", "date", "quantity", "amount"],
            dtype={"date": str},
        )
        raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
        return raw[["customer_id", "date", "amount"]]


def cdnow_summary() -> pd.DataFrame:
    """39-week calibration summary in weeks (Fader, Hardie and Lee 2005)."""
    end = pd.Timestamp("1997-09-30")
    daily = cdnow_transactions().groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    daily = daily[daily["date"] <= end]
    first = daily.groupby("customer_id")["date"].min()
    grouped = daily.groupby("customer_id")
    summary = pd.DataFrame(
        {
            "frequency": (grouped.size() - 1).astype(float),
            "recency": (grouped["date"].max() - first).dt.days / 7,
            "T": (end - first).dt.days / 7,
        }
    )
    repeat = daily[daily["date"] > daily["customer_id"].map(first)]
    summary["monetary_value"] = (
        repeat.groupby("customer_id")["amount"].mean().reindex(summary.index).fillna(0.0)
    )
    return summary


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    """*n* distinct customers from the BG/NBD process at the CDNOW estimates (continuous T)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.243, 1 / 4.414, n)
    dropout = rng.beta(0.793, 2.426, n)
    big_t = rng.uniform(1, 78, n)
    events = rng.poisson(rate * big_t)
    frequency = np.minimum(events, rng.geometric(dropout))
    last = big_t * rng.beta(np.maximum(frequency, 1), np.maximum(events - frequency + 1, 1))
    spend = np.where(frequency > 0, rng.gamma(6.25, 1 / rng.gamma(3.74, 1 / 15.44, n)), 0.0)
    return pd.DataFrame(
        {
            "frequency": frequency.astype(float),
            "recency": np.where(frequency > 0, last, 0.0),
            "T": big_t,
            "monetary_value": spend,
        }
    )


def whole_days(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Recency and age rounded to whole days (in weeks), collapsed into unique rows + counts."""
    rounded = frame.assign(
        recency=np.round(frame["recency"] * 7) / 7, T=np.maximum(np.round(frame["T"] * 7), 1) / 7
    )
    grouped = rounded.groupby(["frequency", "recency", "T"], as_index=False).size()
    return grouped[["frequency", "recency", "T"]], grouped["size"].astype(float)


def simulate_bgbb(n: int, periods: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """*n* customers over *periods* opportunities from BG/BB at the donation estimates, as patterns."""
    rng = np.random.default_rng(seed)
    p = rng.beta(1.204, 0.750, n)
    theta = rng.beta(0.657, 2.783, n)
    alive_for = np.minimum(rng.geometric(theta), periods)  # opportunities while active
    opportunity = np.arange(1, periods + 1)[None, :]
    buys = (rng.random((n, periods)) < p[:, None]) & (opportunity <= alive_for[:, None])
    frequency = buys.sum(axis=1)
    recency = np.where(frequency > 0, periods - np.argmax(buys[:, ::-1], axis=1), 0)
    frame = pd.DataFrame({"frequency": frequency, "recency": recency, "n_periods": periods})
    grouped = frame.groupby(["frequency", "recency", "n_periods"], as_index=False).size()
    return grouped[["frequency", "recency", "n_periods"]].astype(float), grouped["size"].astype(
        float
    )


def our_objective(fit: Callable[[], Any]) -> Callable[[Any], tuple[float, Any]]:
    """The mean negative log-likelihood one of our fits optimises, caught on its way in."""
    caught: list[Any] = []
    original = _fit.fit_log_params

    def spy(*args: Any, **kwargs: Any) -> Any:
        caught.append((kwargs["value_and_gradient"], args[2]))
        return original(*args, **kwargs)

    modules = (bgnbd, paretonbd, bgbb, gammagamma)
    for module in modules:
        module.fit_log_params = spy  # type: ignore[attr-defined]
    try:
        fit()
    finally:
        for module in modules:
            module.fit_log_params = original  # type: ignore[attr-defined]
    both, total = caught[-1]
    return lambda params: (-both(np.log(np.asarray(params, dtype=np.float64)))[0] * total, None)


def best_of(repeat: int, func: Callable[[], Any]) -> float:
    """Best wall time of *repeat* runs of *func*, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


class Row:
    """One line of the results table."""

    def __init__(
        self,
        case: str,
        ours: float,
        theirs: float | None,
        note: str,
        goal: float,
        *,
        ll: tuple[float, float | None] | None = None,
    ):
        self.case = case
        self.ours = ours
        self.theirs = theirs
        self.note = note
        self.goal = goal
        self.ll = ll

    def render(self) -> str:
        theirs = f"{self.theirs:10.3f}" if self.theirs is not None else "       n/a"
        if self.theirs is None:
            ratio, verdict = "     n/a", ""
        else:
            value = self.theirs / self.ours
            ratio = f"{value:7.1f}x"
            verdict = (
                ("goal met" if value >= self.goal else "GOAL MISSED") + f" (>= {self.goal:g}x)"
                if self.goal
                else ""
            )
        lls = ""
        if self.ll is not None:
            mine, other = self.ll
            lls = f"  ll {mine:.4f}"
            if other is not None:
                lls += f" vs {other:.4f} (diff {mine - other:+.2e}"
                lls += ", ok)" if mine - other >= -1e-3 else ", WORSE)"
        line = f"{self.case:<46}{self.ours:10.3f}{theirs}  {ratio}  {verdict}{lls}  {self.note}"
        return line.rstrip()


def main() -> None:  # noqa: PLR0915 - one benchmark story, top to bottom
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a CI smoke run")
    parser.add_argument(
        "--lifetimes-max-rows",
        type=int,
        default=None,
        help="time lifetimes on at most this many simulated customers and scale linearly",
    )
    args = parser.parse_args()
    n_big = 20_000 if args.quick else 1_000_000
    copies = 10 if args.quick else 100
    repeat = 1 if args.quick else 3
    has_lifetimes = importlib.util.find_spec("lifetimes") is not None
    warnings.simplefilter("ignore")  # lifetimes and autograd warn on numpy 2 / pandas 2.x

    summary = cdnow_summary()
    simulated = simulate(n_big)
    rows: list[Row] = []
    print(f"CDNOW: {len(summary):,} customers; simulated: {n_big:,} distinct customers")
    print(f"load average at the start: {load_average()} ({os.cpu_count()} cores)")
    if not has_lifetimes:
        print("lifetimes is missing: printing our timings only (pip install lifetimes==0.11.3)")

    lifetimes: Any = None
    if has_lifetimes:
        lifetimes = importlib.import_module("lifetimes")

    # 1. BG/NBD on CDNOW
    ours = best_of(repeat * 3, lambda: BetaGeoModel().fit(summary))
    theirs = None
    if lifetimes is not None:
        theirs = best_of(
            repeat,
            lambda: lifetimes.BetaGeoFitter().fit(
                summary["frequency"], summary["recency"], summary["T"]
            ),
        )
    rows.append(Row("BG/NBD fit, CDNOW (2,357)", ours, theirs, "", 3))

    # 2. BG/NBD on distinct simulated customers
    ours = best_of(repeat, lambda: BetaGeoModel().fit(simulated))
    theirs, note = None, ""
    if lifetimes is not None:
        subset = simulated
        if args.lifetimes_max_rows is not None and args.lifetimes_max_rows < n_big:
            subset = simulated.iloc[: args.lifetimes_max_rows]
        measured = best_of(
            1,
            lambda: lifetimes.BetaGeoFitter().fit(
                subset["frequency"], subset["recency"], subset["T"]
            ),
        )
        theirs = measured * n_big / len(subset)
        if len(subset) < n_big:
            note = (
                f"lifetimes timed on {len(subset):,} rows ({measured:.2f} s), "
                f"scaled x{n_big / len(subset):g}"
            )
    rows.append(Row(f"BG/NBD fit, {n_big:,} distinct simulated", ours, theirs, note, 3))

    # 3. CDNOW replicated: no weights given to either library
    replicated = pd.concat([summary] * copies, ignore_index=True)
    ours = best_of(repeat, lambda: BetaGeoModel().fit(replicated))
    theirs = None
    if lifetimes is not None:
        theirs = best_of(
            1,
            lambda: lifetimes.BetaGeoFitter().fit(
                replicated["frequency"], replicated["recency"], replicated["T"]
            ),
        )
    rows.append(
        Row(f"BG/NBD fit, CDNOW x{copies} ({len(replicated):,} rows)", ours, theirs, "", 30)
    )

    # 4. every model on the small published data, and on large simulated data
    def compare(
        case: str,
        ours_fit: Callable[[], Any],
        theirs_fit: Callable[[], Any] | None,
        runs: int,
    ) -> None:
        mine = best_of(runs, ours_fit)
        value = our_objective(ours_fit)
        ll_ours = value(ours_fit().params_.to_numpy())[0]
        theirs_time, ll_theirs = None, None
        if lifetimes is not None and theirs_fit is not None:
            theirs_time = best_of(max(1, runs // 3), theirs_fit)
            fitted = theirs_fit()
            ll_theirs = value(np.asarray(fitted.params_, dtype=np.float64))[0]
        rows.append(Row(case, mine, theirs_time, "", 3, ll=(ll_ours, ll_theirs)))

    def lt(name: str) -> Any:
        return getattr(lifetimes, name)() if lifetimes is not None else None

    x, rec, age = summary["frequency"], summary["recency"], summary["T"]
    compare(
        "Pareto/NBD fit, CDNOW (2,357)",
        lambda: ParetoNBDModel().fit(summary),
        lambda: lt("ParetoNBDFitter").fit(x, rec, age),
        repeat * 3,
    )
    compare(
        "MBG/NBD fit, CDNOW (2,357)",
        lambda: ModifiedBetaGeoModel().fit(summary),
        lambda: lt("ModifiedBetaGeoFitter").fit(x, rec, age),
        repeat * 3,
    )
    donations = pd.DataFrame(DONATIONS, columns=["frequency", "recency", "count"]).assign(
        n_periods=6
    )
    compare(
        "BG/BB fit, donations (22 patterns, 11,104)",
        lambda: BetaGeoBetaBinomModel().fit(donations, weights=donations["count"]),
        lambda: lt("BetaGeoBetaBinomFitter").fit(
            donations["frequency"],
            donations["recency"],
            donations["n_periods"],
            weights=donations["count"],
        ),
        repeat * 3,
    )
    repeat_buyers = summary[summary["frequency"] > 0]
    compare(
        "Gamma-Gamma fit, CDNOW repeat buyers (946)",
        lambda: GammaGammaModel().fit(repeat_buyers),
        lambda: lt("GammaGammaFitter").fit(
            repeat_buyers["frequency"], repeat_buyers["monetary_value"]
        ),
        repeat * 3,
    )
    days, counts = whole_days(simulated)
    label = f"{n_big:,} customers, {len(days):,} unique rows"
    for name, ours_cls, theirs_name in (
        ("BG/NBD", BetaGeoModel, "BetaGeoFitter"),
        ("Pareto/NBD", ParetoNBDModel, "ParetoNBDFitter"),
        ("MBG/NBD", ModifiedBetaGeoModel, "ModifiedBetaGeoFitter"),
    ):
        compare(
            f"{name} fit, {label}",
            lambda cls=ours_cls: cls().fit(days, weights=counts),  # type: ignore[misc]
            lambda fitter=theirs_name: lt(fitter).fit(  # type: ignore[misc]
                days["frequency"], days["recency"], days["T"], weights=counts
            ),
            repeat,
        )
    panel, panel_counts = simulate_bgbb(n_big // 10, 30)
    compare(
        f"BG/BB fit, 30 periods, {n_big // 10:,} ({len(panel):,} patterns)",
        lambda: BetaGeoBetaBinomModel().fit(panel, weights=panel_counts),
        lambda: lt("BetaGeoBetaBinomFitter").fit(
            panel["frequency"], panel["recency"], panel["n_periods"], weights=panel_counts
        ),
        repeat,
    )
    buyers = simulated[simulated["frequency"] > 0]
    compare(
        f"Gamma-Gamma fit, {len(buyers):,} simulated repeat buyers",
        lambda: GammaGammaModel().fit(buyers),
        lambda: lt("GammaGammaFitter").fit(buyers["frequency"], buyers["monetary_value"]),
        repeat,
    )

    # 5. CLV over 12 months, 1% a month
    bgnbd = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    spend = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    horizon = Horizon(12, "month", discount_rate=0.01)  # compounded per period
    ours = best_of(
        repeat, lambda: customer_lifetime_value(bgnbd, spend, simulated, horizon, data_unit="week")
    )
    theirs, note = None, ""
    if lifetimes is not None:
        bgf = lifetimes.BetaGeoFitter()
        bgf.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # set by fit()
        ggf = lifetimes.GammaGammaFitter()
        ggf.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
        theirs = best_of(
            1,
            lambda: ggf.customer_lifetime_value(
                bgf,
                simulated["frequency"],
                simulated["recency"],
                simulated["T"],
                simulated["monetary_value"],
                time=12,
                discount_rate=0.01,
                freq="W",
            ),
        )
        note = "lifetimes' month is 4.345 weeks, ours 4.348"
    rows.append(Row(f"CLV 12 months, {n_big:,} customers", ours, theirs, note, 0))

    print()
    print(f"{'case':<46}{'ours (s)':>10}{'lifetimes':>10}  {'ratio':>8}  (ll: ours vs lifetimes')")
    for row in rows:
        print(row.render())
    print(f"load average at the end: {load_average()}")


def load_average() -> str:
    """The 1, 5 and 15-minute load averages (a busy machine inflates every time)."""
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:  # not available on this platform
        return "n/a"


if __name__ == "__main__":
    main()
