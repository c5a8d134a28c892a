"""One self-contained HTML report of an analysis run.

    from pyvalues.figures import draw_all
    from pyvalues.report import write_report
    figs = draw_all(results, "out/figures")
    write_report(results, "out", figures=figs)      # -> out/report.html

The file has no external resources (figures are embedded as base64 PNG, the style sheet is
inline, there is no script), so it can be mailed or archived as is. It shows, in order:
the data's provenance and shape (and parse statistics when the results carry them), the
parity of R and the Python twins (summary, disagreements, full table folded), the analyses skipped for the
data's shape with the reasons, the figures, and every result table; a column holding a
paper's reported value (``reported``, ``reported_<col>`` or ``<col>_reported``, as
:func:`pyvalues.crosscheck.reported_beside` adds them) is placed beside the statistic it
reports and highlighted, as is ``in_paper`` (whether a row's term or model is in the paper's
set).
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import __version__
from .. import schema as _schema
from ..results import provenance_of, tables_of as _tables
from ..errors import PyvaluesError

__all__ = ["write_report", "render_report", "TABLE_INFO"]

# name -> (title, what it holds; the paper's place), from the output contract
TABLE_INFO: dict[str, tuple[str, str]] = _schema.table_info()
from .language import language_section_html  # noqa: E402  (prompt language, issue 12)

# long tables start folded
_FOLDED = _schema.folded()
_P_COLUMNS = {"p", "q", "p_adj", "p_gg", "p_mwu", "q_mwu", "p_welch", "q_welch", "p_perm", "q_perm"}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",sans-serif;
 margin:0 auto;max-width:1100px;padding:1.2em 1.6em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;
 margin-top:1.8em} h3{font-size:1.05em;margin-bottom:.2em}
.provenance{background:#fff4d6;border-left:5px solid #E69F00;padding:.6em 1em;margin:1em 0}
.meta{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.82em;margin:.4em 0 1em 0}
th,td{border:1px solid #ddd;padding:2px 7px;text-align:right;white-space:nowrap}
th{background:#f2f2f2;position:sticky;top:0;text-align:left} td.txt{text-align:left}
td.long{white-space:normal;min-width:42em;max-width:56em} .same{color:#444;font-size:.85em;margin:.1em 0}
th.reported,td.reported{background:#e6f2fa;color:#003c64;font-weight:600}
td.differs{background:#fde2e1;color:#8b0000;font-weight:700}
td.na{color:#999} .desc{color:#444;font-size:.9em;margin:.1em 0 .3em 0}
figure{margin:1.2em 0;page-break-inside:avoid}
figure img{max-width:100%;max-height:92vh;width:auto;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#333} .absent{color:#8a4b00}
.skipped td{text-align:left;white-space:normal} details summary{cursor:pointer;color:#0072B2}
nav a{margin-right:1em} .tw{overflow-x:auto;max-width:100%}
"""






def _extra(results, *names):
    """An optional attribute of the results (or a table of that name)."""
    for n in names:
        v = getattr(results, n, None)
        if v is not None:
            return v
    tables = _tables(results)
    for n in names:
        if n in tables:
            return tables[n]
    return None


def _fmt(v, col: str) -> tuple[str, str]:
    """(text, css class) of one cell."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or (v is pd.NA) or (v is pd.NaT):
        return "—", "na"
    if isinstance(v, (bool, np.bool_)):
        return ("TRUE" if v else "FALSE"), ""
    if isinstance(v, (int, np.integer)):
        return str(int(v)), ""
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if x.is_integer() and abs(x) < 1e6 and col not in _P_COLUMNS:
            return str(int(x)), ""
        if col in _P_COLUMNS or col.startswith(("p_", "q_")):
            return (f"{x:.2e}" if 0 < x < 0.001 else f"{x:.4f}"), ""
        if abs(x) >= 1e5 or (0 < abs(x) < 1e-3):
            return f"{x:.4g}", ""
        return f"{x:.4f}", ""
    return html.escape(str(v)), "txt"


_BESIDE_SUFFIXES = ("_reported", "_reported_low", "_reported_high", "_agrees")


def _reported_target(col: str, columns) -> str | None:
    if col.startswith("reported_") and col[9:] in columns:
        return col[9:]
    for suffix in _BESIDE_SUFFIXES:
        if col.endswith(suffix) and col[: -len(suffix)] in columns:
            return col[: -len(suffix)]
    return None


def _ordered_columns(df: pd.DataFrame) -> list[str]:
    """Each reported_<x> / <x>_reported (and its interval and agreement) right after <x>."""
    cols = [c for c in df.columns if _reported_target(str(c), df.columns) is None]
    last: dict[str, str] = {}
    for c in df.columns:
        t = _reported_target(str(c), df.columns)
        if t is not None:
            cols.insert(cols.index(last.get(t, t)) + 1, c)
            last[t] = c
    return cols


def _is_reported(col) -> bool:
    """A column holding the paper's value or our agreement with it: reported, <x>_reported,
    <x>_reported_low/_high, <x>_agrees, reported_<x>, in_paper."""
    c = str(col)
    return c == "in_paper" or c == "reported" or c.endswith(_BESIDE_SUFFIXES) or c.startswith("reported_")


def _agreement_html(results) -> str:
    """How many of the paper's reported values our tables reproduce, and the ones that differ."""
    ag = _extra(results, "paper_agreement")
    if not isinstance(ag, pd.DataFrame) or not len(ag):
        return ('<p class="meta">No reported values to compare: the data is not a reconstruction of a paper '
                "whose claims file pyvalues holds.</p>")
    judged = ag[ag["agrees"].notna()]
    k = int(judged["agrees"].astype(bool).sum())
    differ = ag[ag["agrees"].isna() | ~ag["agrees"].fillna(True).astype(bool)]
    head = (f'<p class="differs-summary"><b>{k} of {len(judged)}</b> reported values reproduced (ours inside the '
            "printed value's rounding interval or bound)"
            + (f"; {len(ag) - len(judged)} not judged because our value is NA" if len(judged) < len(ag) else "")
            + ". The values that differ are listed here and marked in the tables below "
            "(<code>*_agrees</code> = FALSE in red).</p>")
    if not len(differ):
        return head
    compact = pd.DataFrame({
        "where": [f"{r.table} [{r.row}] {r.column}" for r in differ.itertuples()],
        "paper": differ["reported"].str.replace(";", "; "),
        "ours": differ["value"],
        "why": differ["note"],
    })
    return head + f'<div class="differs-list">{_table_html(compact)}</div>'



# a text cell longer than this wraps (in a column at least 42em wide: two lines hold ~160 characters);
# shorter ones never do
_LONG_TEXT = 40


def _same_for_all(df: pd.DataFrame) -> dict[str, str]:
    """Text columns with one long value in every row (e.g. a test's method): stated once above
    the table instead of repeated, so rows stay one line high. The CSV keeps them."""
    if len(df) < 2:
        return {}
    out = {}
    for c in df.columns:
        if _is_reported(c) or not (df[c].dtype == object or pd.api.types.is_string_dtype(df[c])):
            continue
        values = df[c].dropna().astype(str).unique()
        if len(values) == 1 and df[c].notna().all() and len(values[0]) > 24:
            out[str(c)] = values[0]
    return out


def _table_html(df: pd.DataFrame, max_rows: int | None = None, collapse: bool = False) -> str:
    same = _same_for_all(df) if collapse else {}
    lead = "".join(f'<p class="same"><code>{html.escape(c)}</code> (every row): {html.escape(v)}</p>'
                   for c, v in same.items())
    if same:
        df = df.drop(columns=list(same))
    cols = _ordered_columns(df)
    head = "".join(
        f'<th class="reported" title="value reported in the paper">{html.escape(str(c))}</th>'
        if _is_reported(c) else f"<th>{html.escape(str(c))}</th>" for c in cols)
    rows = []
    body = df if max_rows is None else df.head(max_rows)
    for rec in body[cols].itertuples(index=False, name=None):
        cells = []
        for c, v in zip(cols, rec):
            text, cls = _fmt(v, str(c))
            if _is_reported(c):
                cls = (cls + " reported").strip()
            if str(c).endswith("_agrees") and isinstance(v, (bool, np.bool_)) and not v:
                cls = (cls + " differs").strip()
            if cls.startswith("txt") and len(text) > _LONG_TEXT:
                cls = (cls + " long").strip()
            cells.append(f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows is not None and len(df) > max_rows:
        more = f'<p class="meta">first {max_rows} of {len(df)} rows; all rows are in the CSV file.</p>'
    return (f'{lead}<div class="tw"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            f"</table></div>{more}")


class _Caption(NamedTuple):
    number: str
    caption: str
    position: int


def _captions(paths: list[Path]) -> dict[str, _Caption]:
    """File name -> the figure's number and caption, from the ``figures.json`` that draw_all
    writes beside the files (no matplotlib needed); files it does not list fall back to
    :data:`pyvalues.figures.FIGURES` by stem."""
    from ..figure_workers import INDEX_NAME, read_index

    by_file: dict[str, _Caption] = {}
    for folder in dict.fromkeys(p.parent for p in paths):
        for i, e in enumerate(read_index(folder / INDEX_NAME)):
            for name in e.get("files", []):
                by_file.setdefault(name, _Caption(str(e["number"]), str(e["caption"]), i))
    missing = [p for p in paths if p.name not in by_file]
    if missing:
        from ..figures import FIGURES

        specs = {s.stem: (s, i) for i, s in enumerate(FIGURES)}
        for p in missing:
            stem = p.name.split(".")[0]
            hit = specs.get(stem) or specs.get(stem.rsplit("_", 1)[0])
            if hit:
                by_file[p.name] = _Caption(hit[0].number, hit[0].caption, hit[1])
    return by_file


def _figure_entries(figures) -> list[dict]:
    """Group the paths draw_all returned by figure; PNG embedded, absent reason read."""
    paths = [Path(p) for p in figures]
    captions = _captions(paths)
    entries: dict[str, dict] = {}
    for p in paths:
        stem = p.name.split(".")[0]
        e = entries.setdefault(stem, {"stem": stem, "spec": captions.get(p.name), "png": None, "files": [],
                                      "absent": None})
        e["files"].append(p.name)
        if p.suffix.lower() == ".png":
            e["png"] = p
            note = p.with_name(f"{stem}.absent.txt")
            if note.exists():
                e["absent"] = note.read_text(encoding="utf-8").strip()
    return sorted(entries.values(), key=lambda e: (e["spec"].position if e["spec"] else 99, e["stem"]))


def _figures_html(figures) -> str:
    if figures is None:
        return '<p class="meta">Figures were not drawn for this report (e.g. run with --no-figures).</p>'
    parts = []
    for e in _figure_entries(figures):
        spec = e["spec"]
        title = f"Fig. {spec.number}. {spec.caption}" if spec else e["stem"]
        if e["png"] is None:
            parts.append(f"<p>{html.escape(title)}: no PNG among {html.escape(', '.join(e['files']))}</p>")
            continue
        data = base64.b64encode(e["png"].read_bytes()).decode("ascii")
        absent = (f'<br><span class="absent">Not drawn for this data: {html.escape(e["absent"])}</span>'
                  if e["absent"] else "")
        files = html.escape(", ".join(e["files"]))
        parts.append(
            f'<figure id="{html.escape(e["stem"])}"><img alt="{html.escape(title)}" '
            f'src="data:image/png;base64,{data}"><figcaption><b>{html.escape(title)}</b>{absent}'
            f'<br><span class="meta">files: {files}</span></figcaption></figure>')
    return "\n".join(parts)


def _kv_table(d: Mapping) -> str:
    def show(v):
        if isinstance(v, Mapping):
            return ", ".join(f"{k}: {x}" for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return ", ".join(map(str, v))
        if isinstance(v, float):
            return f"{v:.3g}"
        return str(v)
    return _table_html(pd.DataFrame({"item": [str(k) for k in d], "value": [show(v) for v in d.values()]}))


def _data_summary(results) -> str:
    summary = getattr(results, "data_summary", None)
    if isinstance(summary, Mapping) and summary:
        extra = ""
        settings = getattr(results, "settings", None)
        if isinstance(settings, Mapping) and settings:
            extra = "<h3>Settings of the run</h3>" + _kv_table(settings)
        dataset = getattr(results, "dataset", None)
        head = f'<p class="meta">data set: {html.escape(str(dataset))}</p>' if dataset else ""
        return head + _kv_table(summary) + extra
    tables = _tables(results)
    mtm = tables.get("model_term_means")
    if mtm is None or len(mtm) == 0:
        return '<p class="meta">No per-model table in the results.</p>'
    per_model = mtm.drop_duplicates("model")
    countries = per_model["country"].value_counts().sort_index()
    n_rank = per_model["n_rankings"].astype(int)
    nr = (f"{n_rank.iloc[0]} per model" if n_rank.nunique() == 1
          else f"{n_rank.min()}–{n_rank.max()} per model (unequal)")
    items = [f"<li>{len(per_model)} models: "
             + ", ".join(f"{html.escape(str(c))} {n}" for c, n in countries.items()) + "</li>",
             f"<li>rankings: {nr}</li>"]
    return "<ul>" + "".join(items) + "</ul>"


def _parse_stats_html(stats) -> str:
    if stats is None:
        return ""
    if isinstance(stats, pd.DataFrame):
        body = _table_html(stats)
    elif isinstance(stats, pd.Series):
        body = _table_html(stats.rename("value").rename_axis("statistic").reset_index())
    elif isinstance(stats, Mapping):
        body = _table_html(pd.DataFrame({"statistic": list(stats), "value": [str(v) for v in stats.values()]}))
    else:
        body = f"<pre>{html.escape(str(stats))}</pre>"
    return f'<h3 id="parse">Parse statistics</h3>{body}'


def _parity_html(parity) -> str:
    if not (isinstance(parity, pd.DataFrame) and len(parity)):
        return '<p class="meta">No parity table in these results (run without --no-parity to compute it).</p>'
    parts = ['<p class="desc">Each statistic computed by R (the reference) and recomputed independently in '
             'Python (scipy / statsmodels / pingouin); <code>comparable</code> is FALSE where the two '
             'sides implement different variants or random generators (<code>agrees</code> is then empty and the '
             'row is not counted), <code>agrees</code> whether a comparable row matches.</p>']
    if "agrees" in parity.columns:
        agrees = parity["agrees"].astype(str).str.upper().isin(["TRUE", "1"])
        flag = "comparable" if "comparable" in parity.columns else "same_method"
        same = (parity[flag].astype(str).str.upper().isin(["TRUE", "1"])
                if flag in parity.columns else pd.Series(True, index=parity.index))
        parts.append(f"<p><b>{len(parity)}</b> statistics; <b>{int(same.sum())}</b> comparable; "
                     f"<b>{int((agrees & same).sum())}</b> of those agree, "
                     f"<b>{int((same & ~agrees).sum())}</b> do not.</p>")
        bad = parity[same & ~agrees]
        if len(bad):
            parts.append("<h3>Comparable statistics that do not agree</h3>" + _table_html(bad))
        other = parity[~same]
        if len(other):
            parts.append(f"<details><summary>{len(other)} statistics not comparable (other method or random "
                         "generator; not counted)</summary>"
                         + _table_html(other) + "</details>")
    parts.append(f"<details><summary>all {len(parity)} rows</summary>{_table_html(parity)}</details>")
    return "\n".join(parts)


def render_report(results, figures=None, title: str = "pyvalues analysis report") -> str:
    """The report as one HTML string (see the module docstring)."""
    tables = _tables(results)
    provenance = provenance_of(results)
    skipped = _extra(results, "skipped")
    parity = _extra(results, "parity")
    stats = _extra(results, "parse_statistics", "parse_stats")
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           f'<p class="meta">pyvalues {html.escape(__version__)} · generated {now}</p>',
           f'<div class="provenance"><b>Data provenance:</b> {html.escape(provenance)}</div>',
           '<nav><a href="#data">Data</a><a href="#parity">Parity</a><a href="#paper">Paper</a><a href="#skipped">Skipped</a>'
           '<a href="#language">Language</a><a href="#figures">Figures</a><a href="#tables">Tables</a></nav>',
           '<h2 id="data">Data</h2>', _data_summary(results), _parse_stats_html(stats)]

    out.append('<h2 id="parity">Parity: R against the Python twins</h2>')
    out.append(_parity_html(parity))

    out.append('<h2 id="paper">Agreement with the paper</h2>')
    out.append(_agreement_html(results))

    out.append('<h2 id="skipped">Analyses skipped for this data</h2>')
    if isinstance(skipped, pd.DataFrame) and len(skipped):
        out.append('<div class="skipped">' + _table_html(skipped) + "</div>")
    else:
        out.append('<p class="meta">None: every analysis applied to this data.</p>')

    out.append(language_section_html(results))
    out.append('<h2 id="figures">Figures</h2>')
    out.append(_figures_html(figures))

    out.append('<h2 id="tables">Result tables</h2>')
    out.append('<p class="desc">Columns shaded blue hold what the paper reports (<code>*_reported</code>: the '
               'printed value beside the statistic recomputed here; <code>in_paper</code>: whether the row\'s '
               'term or model is in the paper\'s list), when the data is a reconstruction of the paper.</p>')
    skip_names = {"skipped", "parity", "parse_statistics", "parse_stats", "paper_agreement"}
    names = [n for n in TABLE_INFO if n in tables and n not in skip_names] + [
        n for n in tables if n not in TABLE_INFO and n not in skip_names]
    for name in names:
        df = tables[name]
        if not isinstance(df, pd.DataFrame):
            continue
        head, desc = TABLE_INFO.get(name, (name, ""))
        table = _table_html(df, max_rows=600, collapse=True)
        if name in _FOLDED:
            table = f"<details><summary>show {len(df)} rows</summary>{table}</details>"
        out.append(f'<h3 id="t-{html.escape(name)}">{html.escape(head)} <code>{html.escape(name)}</code></h3>'
                   f'<p class="desc">{html.escape(desc)}</p>{table}')
    out.append("</body></html>")
    return "\n".join(out)


def write_report(results, out_dir, figures=None, filename: str = "report.html") -> Path:
    """Write the self-contained HTML report into `out_dir`; returns its path.

    `figures`: the paths :func:`pyvalues.figures.draw_all` returned (PNG files are embedded;
    other formats are listed), or None when figures were not drawn."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / filename
    path.write_text(render_report(results, figures), encoding="utf-8")
    return path
