"""Charts of the strategy results (matplotlib figures; the caller saves or shows them).

Presentation only: every function takes results computed by :mod:`detente.strategy`.
"""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def nash_chart(result, title: str | None = None):
    """Grouped bars: each player's Nash tariff by sector (percent)."""
    plt = _plt()
    df = result.rates_table()
    fig, ax = plt.subplots(figsize=(10, 4.2))
    x = np.arange(len(df))
    width = 0.8 / len(df.columns)
    for k, col in enumerate(df.columns):
        ax.bar(x + (k - (len(df.columns) - 1) / 2) * width, df[col], width, label=col)
    ax.set_xticks(x, df.index, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("Nash tariff (%)")
    ax.set_title(title or "Nash (trade-war) tariffs by sector")
    ax.legend()
    fig.tight_layout()
    return fig


def leverage_chart(table, title: str | None = None):
    """Each (imposer, instrument): the target's loss against the imposer's own (USD bn)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 5))
    lim = float(max(table["target_loss_usd_bn"].max(), table["imposer_loss_usd_bn"].max(), 1e-9)) * 1.15
    ax.plot([0, lim], [0, lim], color="grey", lw=0.8, ls="--", label="leverage = 1")
    for _, r in table.iterrows():
        ax.scatter(r["imposer_loss_usd_bn"], r["target_loss_usd_bn"], s=50)
        ax.annotate(
            f"{r['imposer']}: {r['instrument']}",
            (r["imposer_loss_usd_bn"], r["target_loss_usd_bn"]),
            textcoords="offset points",
            xytext=(5, 4),
            fontsize=8,
        )
    ax.set_xlabel("imposer's own loss (USD bn a year)")
    ax.set_ylabel("target's loss (USD bn a year)")
    ax.set_title(title or "Leverage: damage inflicted vs damage to oneself")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def bargain_chart(grid, war=None, agreement=None, title: str | None = None):
    """The uniform-tariff grid in objective space, mutually preferred points highlighted."""
    plt = _plt()
    a, b = grid.attrs.get("players", ("A", "B"))
    fig, ax = plt.subplots(figsize=(6.5, 5))
    ok = grid["both_prefer"]
    ax.scatter(grid.loc[~ok, "U_A"], grid.loc[~ok, "U_B"], s=8, color="lightgrey", label="tariff pairs")
    ax.scatter(grid.loc[ok, "U_A"], grid.loc[ok, "U_B"], s=10, color="tab:green", label="both prefer to the war")
    if war is not None:
        ax.scatter([war[0]], [war[1]], marker="X", s=90, color="tab:red", label="trade war (Nash)")
    if agreement is not None:
        ax.scatter([agreement[0]], [agreement[1]], marker="*", s=160, color="tab:blue", label="Nash bargaining")
    ax.set_xlabel(f"U_{a} (% of income)")
    ax.set_ylabel(f"U_{b} (% of income)")
    ax.set_title(title or "What tariffs can achieve: objectives of both sides")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def survival_chart(results, title: str | None = None):
    """Survival curves (share of runs with the truce intact) for several Monte Carlo results."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for r in results:
        days = np.arange(len(r.survival)) * r.period_days
        ax.step(days, r.survival, where="post", label=" vs ".join(r.strategies))
    for d in (90, 365):
        ax.axvline(d, color="grey", lw=0.7, ls=":")
    ax.set_xlabel("days since the truce")
    ax.set_ylabel("share of runs the truce holds")
    ax.set_ylim(0, 1.02)
    ax.set_title(title or "Truce survival")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def package_chart(res, title: str):
    """The bargaining packages: gains of both sides over the threat point, the Nash bargain, the deals."""
    plt = _plt()
    a, b = res.space.players
    fig, ax = plt.subplots(figsize=(6.5, 5))
    g = res.gains
    ax.scatter(g[~res.preferred, 0], g[~res.preferred, 1], s=6, color="#bbb", label="grid: not preferred by both")
    ax.scatter(g[res.preferred, 0], g[res.preferred, 1], s=6, color="C0", label="grid: both prefer")
    bargain_a, bargain_b = res.bargain_gains
    ax.scatter(bargain_a, bargain_b, marker="*", s=160, color="C3", label="Nash bargaining package", zorder=3)
    if res.deals is not None:
        for k, (_, r) in enumerate(res.deals.iterrows()):
            ax.scatter(
                r["U_A"] - res.threat_values[0],
                r["U_B"] - res.threat_values[1],
                marker="D",
                s=40,
                color=("C1", "C2", "C4")[k % 3],
                label=str(r["deal"]).split(" (")[0],
                zorder=3,
            )
    ax.axhline(0, color="k", lw=0.6)
    ax.axvline(0, color="k", lw=0.6)
    ax.set_xlabel(f"gain of {a} over the threat point, pp of income")
    ax.set_ylabel(f"gain of {b} over the threat point, pp of income")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def attrition_chart(res, events=None, start=None, title: str | None = None):
    """A war of attrition: each side's cumulative cost by week against its threshold.

    ``res`` is an :class:`detente.strategy._attrition.Attrition`; ``events`` maps a label to a
    date, drawn as a dashed line at its week from ``start`` (both optional).
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    wk = np.arange(1, res.weeks + 1)
    for k, p in enumerate(res.players):
        ax.plot(wk, res.cumulative[:, k], label=f"{p} cumulative cost")
        ax.axhline(res.thresholds[k], ls=":", color=f"C{k}")
    if events and start is not None:
        top = ax.get_ylim()[1]
        for name, day in events.items():
            x = (day - start).days / 7
            ax.axvline(x, color="grey", ls="--", lw=0.8)
            ax.text(x, top * 0.95, name.split(" (")[0], rotation=90, va="top", fontsize=7)
    ax.set_xlabel(f"weeks from {start}" if start is not None else "week")
    ax.set_ylabel("% of annual income")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
