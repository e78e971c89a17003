"""Drawing helpers for students: the social network coloured by trust (the page and notebooks).

Plain matplotlib and networkx, so that notebooks need neither solara nor the page
(``sim.app.page``) to draw them.
"""

from __future__ import annotations

import matplotlib
import networkx as nx
import numpy as np

from sim.engine.state import NO_DISPUTE

#: Residents within this many contacts of the sample's centre are drawn.
SAMPLE_RADIUS = 3
TRUST_COLOURS = matplotlib.colormaps["RdYlGn"]


def network_sample(model, centre: int = 0, radius: int = SAMPLE_RADIUS, seed: int = 0):
    """Residents within ``radius`` contacts of resident ``centre``, and a spring layout of them.

    The social network is a small world (``sim.engine.network``): a few rings of neighbours plus
    long-range shortcuts, which show as long edges across the picture.
    """
    sample = nx.ego_graph(model.graph, centre, radius=radius)
    return sample, nx.spring_layout(sample, seed=seed)


def draw_trust_network(ax, model, sample: nx.Graph, positions: dict, colourbar: bool = True):
    """Draw ``sample`` on ``ax``: each resident coloured by trust in doctors (red 0, green 1),
    ringed in black while they have an open dispute."""
    nodes = np.fromiter(sample.nodes, dtype=np.int64)
    trust = model.patients.trust[nodes]
    disputing = model.patients.open_dispute[nodes] != NO_DISPUTE
    nx.draw_networkx_edges(sample, positions, ax=ax, width=0.4, alpha=0.35)
    drawn = nx.draw_networkx_nodes(
        sample,
        positions,
        nodelist=list(nodes),
        node_color=trust,
        cmap=TRUST_COLOURS,
        vmin=0.0,
        vmax=1.0,
        node_size=np.where(disputing, 70, 35),
        edgecolors=np.where(disputing, "black", "none").tolist(),
        linewidths=1.5,
        ax=ax,
    )
    ax.set_axis_off()
    if colourbar:
        ax.figure.colorbar(drawn, ax=ax, shrink=0.8, label="trust in doctors")
    return drawn


def time_axis(frame) -> tuple[str, str]:
    """The column a daily series is drawn against, and its axis label: ``date`` once the runs
    have dates (a ``date`` column in the daily series, e.g. of a dated history scenario), else
    ``day`` (observed days, counted from the end of the burn-in)."""
    if "date" in frame.columns and frame["date"].notna().any():
        return "date", "Date"
    return "day", "Day"


def message_figure(fig, message: str, title: str) -> None:
    """A figure that holds only a centred message under ``title`` (e.g. how to switch a view on)."""
    ax = fig.subplots()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=9, wrap=True)
    fig.suptitle(title, fontsize=10)
