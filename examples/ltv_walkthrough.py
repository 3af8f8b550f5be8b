# %% [markdown]
# # Customer lifetime value on the CDNOW sample
#
# A notebook-style walkthrough (cells marked `# %%`; open it in VS Code or Jupytext,
# or run it as a script): summarise transactions, fit BG/NBD and Gamma-Gamma,
# check the fit on a holdout period with numbers, draw the standard plots, and
# value a few customers over an explicit horizon.
#
# Run: python examples/ltv_walkthrough.py [FIGURE_DIR]
# (or set LTV_FIGURES; by default the figures go to a temporary directory).

# %%
from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # render to files; remove this line in a notebook

import matplotlib.pyplot as plt

from relationship_core.analytics import (
    BetaGeoModel,
    GammaGammaModel,
    Horizon,
    calibration_holdout_summary,
    cohort_retention_table,
    customer_lifetime_value,
    gamma_gamma_input,
    holdout_report,
    load_cdnow_sample,
    plot_calibration_vs_holdout,
    plot_cohort_retention,
    plot_cumulative_transactions,
    plot_frequency_recency_matrix,
    plot_incremental_transactions,
    plot_period_transactions,
    plot_probability_alive_matrix,
    repeat_transactions_tracking,
)


def figure_dir() -> Path:
    """Where figures go: argv[1], else $LTV_FIGURES, else a new temporary directory."""
    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
    elif os.environ.get("LTV_FIGURES"):
        target = Path(os.environ["LTV_FIGURES"])
    else:
        target = Path(tempfile.mkdtemp(prefix="ltv-"))
    target.mkdir(parents=True, exist_ok=True)
    return target


FIGURES = figure_dir()


def save(name: str) -> None:
    """Save the current figure as ltv-<name>.png and close it."""
    plt.gcf().set_size_inches(7, 4.5)
    plt.tight_layout()
    plt.savefig(FIGURES / f"ltv-{name}.png", dpi=90)
    plt.close("all")


# %% [markdown]
# ## 1. Data: calibration (weeks 1-39) and holdout (weeks 40-78)
#
# The literature's split: 39 weeks of calibration ending 1997-09-30, 39 weeks of
# holdout ending 1998-06-30, time in weeks. Same-day purchases count once.

# %%
transactions = load_cdnow_sample()
split = calibration_holdout_summary(
    transactions,
    time_unit="week",
    calibration_end=date(1997, 9, 30),
    observation_end=date(1998, 6, 30),
)
print(split.head())
print(
    f"{len(split):,} customers, {int((split.frequency > 0).sum()):,} repeat buyers, "
    f"{int(split.frequency.sum()):,} repeat purchases in calibration, "
    f"{int(split.frequency_holdout.sum()):,} in the holdout"
)
assert (len(split), int(split.frequency.sum()), int(split.frequency_holdout.sum())) == (
    2357,
    2457,
    1882,
)

# %% [markdown]
# ## 2. Fit BG/NBD (purchasing and dropout) and Gamma-Gamma (spend)

# %%
bgnbd = BetaGeoModel().fit(split)
print(bgnbd)
print(bgnbd.summary())
# Gamma-Gamma needs repeat buyers whose repeat orders are worth more than 0: a plain
# split[split.frequency > 0] fails on data with a $0.00 repeat order.
repeat_buyers, left_out = gamma_gamma_input(split)
print(f"spend model on {len(repeat_buyers):,} repeat buyers; left out: {left_out}")
spend = GammaGammaModel().fit(repeat_buyers)
print(spend)

# %% [markdown]
# ## 3. Holdout report: numbers, not only plots

# %%
report = holdout_report(bgnbd, split)
print(report)
assert abs(report.correlation - 0.626) < 0.005  # Fader, Hardie and Lee (2005)

# %% [markdown]
# ## 4. Plots

# %%
plot_period_transactions(bgnbd, split)
save("period-transactions")

plot_calibration_vs_holdout(report)
save("calibration-holdout")

tracking = repeat_transactions_tracking(
    bgnbd, transactions, time_unit="week", observation_end=date(1998, 6, 30)
)
plot_cumulative_transactions(tracking, calibration_period=39)
save("cumulative")
plot_incremental_transactions(tracking, calibration_period=39)
save("incremental")

top = int(split.frequency.max())
plot_probability_alive_matrix(bgnbd, max_frequency=top, T=float(split["T"].max()))
save("probability-alive")
plot_frequency_recency_matrix(bgnbd, t=39, max_frequency=top, T=float(split["T"].max()))
save("frequency-recency")

retention = cohort_retention_table(
    transactions, time_unit="month", observation_end=date(1998, 6, 30)
)
print(retention.round(2))
plot_cohort_retention(retention)
save("cohort-retention")
print(f"figures in {FIGURES}")

# %% [markdown]
# ## 5. Customer lifetime value over an explicit horizon
#
# One year ahead, 1% discount a month compounded monthly. The data are in weeks: the
# summary records that (split.attrs), so CLV converts the horizon without being told.

# %%
print(split.attrs["relationship_core.summary"])
horizon = Horizon(12, "month", discount_rate=0.01)
clv = customer_lifetime_value(bgnbd, spend, split, horizon, as_frame=True)
print(clv.loc[[1, 2, 18, 1516]].round(2).to_string())
print(clv["clv"].describe().round(2))

# %% [markdown]
# ## 6. The same summary inside the database
#
# A store's own orders give the same summary without leaving the database:
# `store_customer_summary` computes it with one SQL statement (SQLite here; also
# PostgreSQL), each purchase on its local date in the party's zone. The first 100
# CDNOW customers, written as orders placed at noon UTC by parties in UTC, give
# exactly the rows of `split` above.

# %%
from datetime import UTC, datetime, time  # noqa: E402
from decimal import Decimal  # noqa: E402

from relationship_core import LineItem, Money, Order, Person  # noqa: E402
from relationship_core import open as open_store  # noqa: E402
from relationship_core.analytics import store_customer_summary  # noqa: E402

first = transactions[transactions.customer_id <= 100]
with tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{tmp}/crm.db") as crm:
    for customer in sorted(set(first.customer_id)):
        crm.parties.add(Person(id=str(customer), name=f"Customer {customer}"))
    with crm.unit_of_work() as uow:
        for i, row in enumerate(first.itertuples()):
            price = Money(f"{row.amount:.2f}", "USD")
            line = LineItem(description="CDs", quantity=Decimal(1), unit_price=price)
            at = datetime.combine(row.date.date(), time(12), tzinfo=UTC)
            uow.add(Order.place(id=f"o{i}", party_id=str(row.customer_id), lines=[line], at=at))
    in_db = store_customer_summary(
        crm,
        source="orders",
        time_unit="week",
        calibration_end=date(1997, 9, 30),
        observation_end=date(1998, 6, 30),
    )
expected = split.loc[split.index <= 100]
assert sorted(in_db.index) == sorted(str(c) for c in expected.index)
in_db = in_db.loc[[str(c) for c in expected.index]]  # party ids are text: sort as numbers
for column in ("frequency", "recency", "T", "frequency_holdout", "duration_holdout"):
    assert (in_db[column].to_numpy() == expected[column].to_numpy()).all(), column
for column in ("monetary_value", "monetary_value_holdout"):
    assert abs(in_db[column].to_numpy() - expected[column].to_numpy()).max() < 1e-9, column
print(f"in the database: {len(in_db)} customers, the same rows as the pandas summary")
