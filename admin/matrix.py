"""``jurisgate matrix --out report.html|report.png``: the decision matrix as a picture.

Rows are locations (every US state and territory, then every country and region the rules
name, then any other country), columns are who asks: entity types with their agency's region
(``state_law_enforcement of US-IL``), a contractor's agency and the capacity they act in. Each
cell is the gate's answer for one route at one instant, coloured by status. Columns answered
alike in every row are drawn as one, labelled with every client class it stands for. The HTML
shows the deciding rule and its citation on hover; the PNG (needs the ``matrix`` extra:
matplotlib) is for reports.
"""

from __future__ import annotations

import argparse
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from jurisgate.middleware.claims.paths import canonical_method, canonical_path
from jurisgate.middleware.claims.principal import ANONYMOUS
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.errors import JurisgateError

from .files import add_config_option, engine_for_config, format_instant, instant_option
from .policy_space import Route, policy_space
from .truth_table import gate_answer

__all__ = ["Matrix", "decision_matrix", "register", "render_html", "render_png"]

# Colour-blind-safe pairs: allowed blue, refused orange, legal block dark red.
COLOURS: Final = {200: "#3b7dd8", 401: "#bbbbbb", 403: "#f0a030", 451: "#a4161a"}
MEANING: Final = {
    200: "allowed",
    401: "token needed",
    403: "refused (no rule allows)",
    451: "blocked for legal reasons",
}


@dataclass(frozen=True, slots=True)
class Matrix:
    route: Route
    at: float
    policy_version: str
    # Each column: the client classes it stands for (answered alike everywhere), contract order.
    columns: tuple[tuple[str, ...], ...]
    locations: tuple[str, ...]
    # cells[row][column] = (status, rule id, citation text)
    cells: tuple[tuple[tuple[int, str | None, str | None], ...], ...]


def register(commands: Any) -> None:
    """Add ``matrix`` to the ``jurisgate`` command line."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "matrix",
        help="the decision matrix (locations x who asks) as HTML or PNG",
        description="Draw who gets which answer for one route at one instant: every US region "
        "and every place the rules name, against every entity type, agency region and "
        "capacity (columns answered alike everywhere are merged).",
    )
    add_config_option(parser)
    parser.add_argument("--out", required=True, metavar="report.html|report.png")
    parser.add_argument("--at", help="the instant to decide for (default: now)")
    parser.add_argument("--path", default="/search", help="request path (default /search)")
    parser.add_argument("--method", default="GET", help="HTTP method (default GET)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix not in (".html", ".png"):
        raise JurisgateError("--out must end in .html or .png")
    engine = engine_for_config(args.config)
    route = Route(canonical_method(args.method.upper()), canonical_path(args.path))
    matrix = decision_matrix(engine, route, instant_option(args.at))
    if out.suffix == ".html":
        out.write_text(render_html(matrix), encoding="utf-8")
    else:
        render_png(matrix, out)
    print(f"wrote {out}")
    return 0


def decision_matrix(engine: PolicyEngine, route: Route, at: float) -> Matrix:
    """Decide every location and client class for ``route`` at ``at`` as the gate would."""
    space = policy_space([engine.rules], us_regions_each=True)
    rows: dict[str, dict[str, tuple[int, str | None, str | None]]] = {}
    for client in space.clients:
        if client.entity == ANONYMOUS:
            continue
        status, rule_id = gate_answer(engine, client, route, at)
        rule = engine.rule(rule_id) if rule_id else None
        citation = rule.citation.text if rule is not None and rule.citation else None
        rows.setdefault(client.label, {})[client.who()] = (status, rule_id, citation)
    locations = tuple(rows)
    whos = tuple(rows[locations[0]]) if locations else ()  # the space's order: contract order
    merged: dict[tuple[tuple[int, str | None, str | None], ...], list[str]] = {}
    for who in whos:
        merged.setdefault(tuple(rows[where][who] for where in locations), []).append(who)
    columns = tuple(tuple(labels) for labels in merged.values())
    cells = tuple(tuple(rows[where][labels[0]] for labels in columns) for where in locations)
    return Matrix(route, at, engine.version, columns, locations, cells)


def _shown(labels: tuple[str, ...], most: int = 4) -> list[str]:
    """A merged column's heading: its first client classes, then how many more (all on hover)."""
    if len(labels) <= most:
        return list(labels)
    return [*labels[: most - 1], f"+ {len(labels) - most + 1} more"]


def _title(matrix: Matrix) -> str:
    return (
        f"{matrix.route.method} {matrix.route.path} at {format_instant(matrix.at)} "
        f"(policy {matrix.policy_version})"
    )


def render_html(matrix: Matrix) -> str:
    """One self-contained page; hovering a cell shows the rule and its citation."""
    e = html.escape
    head = "".join(
        f'<th class=col title="{e(chr(10).join(labels))}">{"<br>".join(map(e, _shown(labels)))}'
        "</th>"
        for labels in matrix.columns
    )
    body = []
    for where, row in zip(matrix.locations, matrix.cells, strict=True):
        cells = []
        for labels, (status, rule, citation) in zip(matrix.columns, row, strict=True):
            who = "; ".join(labels)
            tip = f"{who} in {where}: {status} {MEANING[status]}"
            tip += f"\nrule: {rule}" if rule else "\nno rule allows it"
            tip += f"\n{citation}" if citation else ""
            cells.append(
                f'<td style="background:{COLOURS[status]}" title="{e(tip)}">'
                f"{status}<small>{e(rule or '')}</small></td>"
            )
        body.append(f"<tr><th>{e(where)}</th>{''.join(cells)}</tr>")
    legend = " ".join(
        f'<span class=key style="background:{colour}">{status}</span> {e(MEANING[status])}'
        for status, colour in COLOURS.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>jurisgate decision matrix</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
th {{ text-align: left; padding: 2px 8px; white-space: nowrap; font-weight: normal; }}
th.col {{ writing-mode: vertical-rl; transform: rotate(180deg); vertical-align: bottom; }}
td {{ color: white; text-align: center; padding: 2px 6px; border: 1px solid white;
     min-width: 3.2em; cursor: help; }}
td small {{ display: block; font-size: 9px; opacity: .85; }}
.key {{ display: inline-block; color: white; padding: 0 6px; margin-left: 1em; }}
</style></head><body>
<h1>Who may {e(matrix.route.method)} {e(matrix.route.path)}</h1>
<p>{e(_title(matrix))}. Hover a cell for the rule and its citation.</p>
<p>{legend}</p>
<table><thead><tr><th></th>{head}</tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table></body></html>
"""


def render_png(matrix: Matrix, out: Path) -> None:
    """A portrait PNG: locations down, entity types across, status in each cell."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import ListedColormap
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError as exc:
        raise JurisgateError(
            "PNG output needs matplotlib: pip install 'jurisgate[matrix]' (or use --out .html)"
        ) from exc

    statuses = list(COLOURS)
    grid = [[statuses.index(cell[0]) for cell in row] for row in matrix.cells]
    rows, cols = len(matrix.locations), len(matrix.columns)
    figure = Figure(figsize=(2.2 + 0.62 * cols, 2.6 + 0.19 * rows), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.imshow(
        grid,
        cmap=ListedColormap(list(COLOURS.values())),
        vmin=0,
        vmax=len(statuses) - 1,
        aspect="auto",
        interpolation="nearest",
    )
    for y, row in enumerate(matrix.cells):
        for x, (status, _, _) in enumerate(row):
            axes.text(x, y, str(status), ha="center", va="center", color="white", fontsize=6.5)
    # One line per column (the HTML lists them all): the first client class, and how many more.
    names = [
        labels[0].replace("_", " ") + (f" (+{len(labels) - 1} more)" if len(labels) > 1 else "")
        for labels in matrix.columns
    ]
    axes.set_xticks(range(cols), names)
    axes.set_yticks(range(rows), matrix.locations, fontsize=7)
    axes.tick_params(
        axis="x",
        labelrotation=40,
        labelsize=8,
        top=True,
        labeltop=True,
        bottom=False,
        labelbottom=False,
    )
    for label in axes.get_xticklabels():
        label.set_horizontalalignment("left")
    axes.set_xticks([x - 0.5 for x in range(1, cols)], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, rows)], minor=True)
    axes.grid(which="minor", color="white", linewidth=0.8)
    axes.tick_params(which="minor", length=0)
    shown = sorted({cell[0] for row in matrix.cells for cell in row})
    legend = [Patch(color=COLOURS[s], label=f"{s} {MEANING[s]}") for s in shown]
    axes.legend(
        handles=legend,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.01),
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    figure.suptitle(f"Who may {_title(matrix)}", fontsize=10)
    figure.tight_layout()
    figure.savefig(out)
