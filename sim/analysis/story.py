"""A resident's story on one timeline: their episodes of care and what they cost, what their contacts
and the media told them, how their trust moved, their disputes and any violence.

Sources: what a :class:`~sim.engine.watch.Watch` recorded while it watched the resident, and the
model's own record of disputes and violent acts (``ledger.history``, the dispute book), which
covers every resident, watched or not. Plain pandas and matplotlib: the page
(``sim.app.page``) and the notebooks draw the same story.

    watch = Watch.attach(model, [12])
    model.run(days=365)
    story.timeline(model, watch, 12)              # one row per event, with a sentence each
    story.draw_story(fig, {"baseline": (model, watch)}, 12)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.state import TIER_NAMES

#: Columns of :func:`timeline`.
COLUMNS = (
    "day",
    "kind",
    "text",
    "trust",
    "trust_primary",
    "trust_change",
    "cost_yuan",
    "out_of_pocket_yuan",
)
#: Order of events on the same day: the order of the day (``sim.engine.schedule``).
ORDER = {
    "note": 0,
    "episode": 1,
    "heard": 2,
    "trust": 3,
    "dispute": 4,
    "dispute closed": 5,
    "disturbance": 6,
    "assault": 6,
    "story": 7,
}
MECHANISM_WORDS = {"trust": "own experience, word of mouth and drift", "media": "the media"}


def _facility(model, index: int) -> str:
    if index is None or index < 0:
        return "no facility"
    return f"{TIER_NAMES[int(model.world.facilities.tier[index])]} facility {index}"


def _episode_text(model, e: dict) -> str:
    where = _facility(model, e["facility"])
    referred = ", referred up from a clinic" if e.get("referred") else ""
    outcome = "cured" if e.get("success") else f"not cured (harm {e.get('harm', 0):.2f})"
    return (
        f"fell ill (severity {e['severity']:.2f}); treated at the {where}{referred} by doctor {e['doctor']}: "
        f"{outcome}; cost {e['cost_yuan']:,.0f} yuan, {e['out_of_pocket_yuan']:,.0f} out of pocket; "
        f"waited {e['wait_days']:.1f} days; expected {e.get('expectation', float('nan')):.2f}, "
        f"satisfaction {e['satisfaction']:.2f}"
    )


def _heard_text(e: dict) -> str:
    reach = {True: "close enough to their own view to move it", False: "too far from their own view: ignored"}
    return f"contact {e['contact']} told of a {e['about']} visit, satisfaction {e['satisfaction']:.2f}" + (
        f" ({reach[e['within_bound']]})" if e.get("within_bound") is not None else ""
    )


def _story_text(model, e: dict) -> str:
    if e["about"] == "positive":
        return f"local outlet {e['outlet']} ran a positive story on care (tone {e['tone']:+.2f})"
    response = "responded openly" if e["open_response"] else "hid (the 'ostrich policy')"
    return (
        f"local outlet {e['outlet']} reported a {e['about']} at the {_facility(model, e['facility'])}: "
        f"the hospital {response}; tone {e['tone']:+.2f}"
    )


def _trust_text(e: dict) -> str:
    parts = []
    for key, label in (("", "doctors"), ("_primary", "primary clinics")):
        before, after = e[f"trust{key}_before"], e[f"trust{key}_after"]
        news = e.get(f"own_experience{key}", 1) or e.get(f"word_of_mouth{key}", 1)
        if before == after or not news:  # (the daily drift alone is in the series, not told here)
            continue
        text = f"trust in {label} {before:.3f} -> {after:.3f}"
        if f"own_experience{key}" in e:
            pieces = [
                f"{name} {e[f'{field}{key}']:+.3f}"
                for field, name in (("own_experience", "own experience"), ("word_of_mouth", "word of mouth"))
                if e[f"{field}{key}"]
            ]
            pieces.append(f"drift towards contacts {e[f'drift{key}']:+.3f}")
            text += f" ({', '.join(pieces)})"
        parts.append(text)
    source = MECHANISM_WORDS.get(e["mechanism"], e["mechanism"])
    return f"{source}: " + "; ".join(parts) if parts else f"{source}: no change"


def _record_rows(model, resident: int) -> list[dict]:
    """Disputes and violent acts from the model's own record (every resident, watched or not)."""
    rows = []
    for note in model.world.ledger.history.get(int(resident), []):
        if note["event"] == "dispute":
            d = model.disputes.all[note["dispute"]]
            rows.append(
                {
                    "day": note["day"],
                    "kind": "dispute",
                    "text": f"filed dispute {d.id} against the {_facility(model, d.facility)} (harm {d.harm:.2f}); "
                    f"first channel: {d.channels[0] if d.channels else 'none'}",
                }
            )
            if d.closed_day is not None:
                paid = f", {d.compensation_yuan:,.0f} yuan paid" if d.compensation_yuan else ""
                rows.append(
                    {
                        "day": d.closed_day,
                        "kind": "dispute closed",
                        "text": f"dispute {d.id} closed after {d.closed_day - d.filed_day} days: {d.outcome} "
                        f"(path: {' -> '.join(d.channels)}){paid}",
                    }
                )
        else:  # a violent act
            punished = "punished" if note.get("punished") else "not punished"
            rows.append(
                {
                    "day": note["day"],
                    "kind": note["event"],
                    "text": f"committed a {note['event']} at the {_facility(model, note['facility'])} "
                    f"(grievance {note['grievance']:.2f}); {punished}",
                }
            )
    return rows


def timeline(model, watch, resident: int) -> pd.DataFrame:
    """One row per event in ``resident``'s story (see :data:`COLUMNS`), in the order they happened.

    ``trust`` and ``trust_primary`` are the resident's trust at the end of the event's day (while
    watched); ``trust_change`` is the change an event of kind ``trust`` records; ``cost_yuan`` and
    ``out_of_pocket_yuan`` are an episode's. A resident who was not watched (``watch`` is ``None``
    or does not watch them) has the model's record only, with a note saying so."""
    resident = int(resident)
    rows = _record_rows(model, resident)
    watched = watch is not None and resident in watch.since
    if watched:
        for e in watch.events(resident):
            row = {"day": e["day"], "kind": e["kind"]}
            if e["kind"] == "episode":
                row |= {
                    "text": _episode_text(model, e),
                    "cost_yuan": e["cost_yuan"],
                    "out_of_pocket_yuan": e["out_of_pocket_yuan"],
                }
            elif e["kind"] == "heard":
                row["text"] = _heard_text(e)
            elif e["kind"] == "story":
                row["text"] = _story_text(model, e)
            elif e["kind"] == "trust":
                row |= {"text": _trust_text(e), "trust_change": e["trust_after"] - e["trust_before"]}
            rows.append(row)
        start = watch.since[resident]
        rows = [r for r in rows if r["day"] >= start or r["kind"] != "dispute closed"]
        rows.append({"day": start, "kind": "note", "text": f"watched from day {start}"})
    else:
        rows.append(
            {
                "day": 0,
                "kind": "note",
                "text": "not watched: only disputes and violence (the model's own record); "
                "watch the resident to see their care, what they were told and their trust",
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["order"] = frame["kind"].map(ORDER).fillna(9)
    frame = frame.sort_values(["day", "order"], kind="stable").drop(columns="order").reset_index(drop=True)
    if watched:
        series = watch.series(resident).set_index("day")
        frame["trust"] = frame["day"].map(series["trust"])
        frame["trust_primary"] = frame["day"].map(series["trust_primary"])
    return frame


def most_eventful(model, watch, exclude_trust: bool = True) -> int:
    """The watched resident with the most events (episodes, news, disputes): a good story to show."""

    def count(r: int) -> int:
        events = [e for e in watch.events(r) if not (exclude_trust and e["kind"] == "trust")]
        return len(events) + 5 * len(model.world.ledger.history.get(r, []))

    return max(watch.residents, key=count)


# ------------------------------------------------------------------------------------------------
# the story as a figure
# ------------------------------------------------------------------------------------------------
MARKERS = {
    "heard": ("|", "a contact's report"),
    "episode": ("o", "own episode"),
    "story": ("v", "media story"),
    "dispute": ("X", "dispute filed"),
    "disturbance": ("*", "violence"),
    "assault": ("*", "violence"),
}
#: (colour, line style) of the worlds drawn: one world solid; two: the first (the baseline) dashed.
STYLES = {1: (("tab:blue", "-"),), 2: (("black", "--"), ("tab:blue", "-"))}


def draw_story(fig, worlds: dict, resident: int):
    """The resident's trust in doctors over the days in each world (``{label: (model, watch)}``,
    e.g. the baseline and the policies of the same seed: the same resident, the same illnesses),
    with their episodes and what contacts told them (coloured by satisfaction), media stories,
    disputes and violent acts marked; below, what they paid out of pocket, cumulated. Returns the
    two axes."""
    from matplotlib import colormaps

    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1))
    cmap = colormaps["RdYlGn"]
    seen_markers = set()
    styles = STYLES.get(len(worlds), STYLES[1] * len(worlds))
    for (label, (model, watch)), (colour, style) in zip(worlds.items(), styles, strict=False):
        if watch is None or int(resident) not in watch.since:
            continue
        series = watch.series(resident)
        frame = timeline(model, watch, resident)
        # (named in the lower legend); a dashed line on top, so that two equal lines both show
        top.plot(series["day"], series["trust"], color=colour, ls=style, lw=1.2 if style == "--" else 2.0,
                 zorder=2.5 if style == "--" else 2)  # fmt: skip
        by_day = series.set_index("day")["trust"]
        for kind, (marker, meaning) in MARKERS.items():
            events = frame[frame["kind"] == kind]
            if events.empty:
                continue
            y = events["day"].map(by_day).to_numpy(float)
            if kind == "heard":  # a rug along the bottom, coloured by what was told
                told = [e["satisfaction"] for e in watch.events(resident) if e["kind"] == "heard"]
                top.scatter(events["day"], np.full(len(events), 0.03), c=told, cmap=cmap, vmin=0, vmax=1,
                            marker=marker, s=60, zorder=3)  # fmt: skip
            elif kind == "episode":
                sat = [e["satisfaction"] for e in watch.events(resident) if e["kind"] == "episode"]
                top.scatter(
                    events["day"], y, c=sat, cmap=cmap, vmin=0, vmax=1, marker=marker, s=45, edgecolors=colour, zorder=3
                )
            else:
                top.scatter(events["day"], y, marker=marker, s=70, color=colour, zorder=3)
            if meaning not in seen_markers:
                top.scatter([], [], marker=marker, color="0.5", label=meaning)
                seen_markers.add(meaning)
        paid = frame.loc[frame["kind"] == "episode", ["day", "out_of_pocket_yuan"]]
        cumulative = paid.groupby("day")["out_of_pocket_yuan"].sum().cumsum()
        days = np.r_[series["day"].min(), cumulative.index.to_numpy(), series["day"].max()]
        values = np.r_[0.0, cumulative.to_numpy(), cumulative.iloc[-1] if len(cumulative) else 0.0]
        bottom.step(days, values, where="post", color=colour, ls=style, label=label)
    top.set(ylabel="trust in doctors (0-1)", ylim=(0, 1))
    bottom.set(xlabel="day", ylabel="paid out of pocket\n(yuan, cumulative)")
    if top.get_legend_handles_labels()[0]:
        top.legend(
            loc="upper left",
            fontsize=6.5,
            ncols=4,
            framealpha=0.8,
            title="colour: satisfaction (0 red, 1 green)",
            title_fontsize=6.5,
        )
        bottom.legend(loc="upper left", fontsize=6.5)
    else:
        top.text(0.5, 0.5, f"resident {resident}: nothing recorded yet", ha="center", va="center",
                 transform=top.transAxes)  # fmt: skip
    return top, bottom
