"""python -m pyvalues.crosscheck [--claims PATH] [--data NAME_OR_PATH] [--text PAPER] [--out DIR]

Levels 1 and 2 from the claims file alone; level 3 when --data names a data set to analyse
(`paper2026_reconstruction`, a bundled name, or a rank-table CSV). With --text, the reported
tests found in a paper's text (plain text, Markdown, LaTeX source; PDF when the optional
dependency pypdf is installed) are checked instead; adding --claims sets the two routes side by
side. Prints a summary; with --out writes DIR/crosscheck.csv and DIR/crosscheck.md (with --text:
DIR/textcheck.csv and DIR/textcheck.md, and DIR/routes.csv with --claims).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyvalues.crosscheck import crosscheck, default_claims_path
from pyvalues.crosscheck.report import to_markdown
from pyvalues.errors import PyvaluesError


def _results(data: str):
    from pyvalues import analysis, datasets
    from pyvalues.ranktable import read_rank_table

    if data in datasets.DATASETS:
        table = datasets.load(data)
    else:
        table = read_rank_table(Path(data))
    return analysis.run(table, parity=False), table.attrs.get("provenance", data)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pyvalues.crosscheck", description=__doc__.split("\n\n")[1])
    ap.add_argument("--claims", default=None, help="claims CSV (default: the seed paper's; with --text: none)")
    ap.add_argument("--text", default=None, help="a paper's text (.txt, .md, .tex; .pdf with pypdf) to find and check the reported tests in")
    ap.add_argument("--data", default=None, help="data set for level 3: a bundled name or a rank-table CSV")
    ap.add_argument("--out", default=None, help="directory for crosscheck.csv and crosscheck.md")
    ap.add_argument("--no-statcheck", action="store_true", help="do not run R's statcheck beside level 1")
    args = ap.parse_args(argv)
    if args.text:
        return _text_main(args)
    args.claims = args.claims or str(default_claims_path())
    try:
        results, provenance = (None, "")
        if args.data:
            results, provenance = _results(args.data)
        untargeted = None
        if args.data == "paper2026_reconstruction":
            from pyvalues.crosscheck import reconstruction_untargeted
            untargeted = reconstruction_untargeted()
        table = crosscheck(args.claims, results, statcheck=False if args.no_statcheck else None, untargeted=untargeted)
    except PyvaluesError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "crosscheck.csv", index=False, lineterminator="\n")
        source = f"Claims: `{args.claims}`." + (f" Level-3 data: {provenance}." if provenance else "")
        (out / "crosscheck.md").write_text(to_markdown(table, source=source) + "\n", encoding="utf-8")
        print(f"wrote {out / 'crosscheck.csv'} and {out / 'crosscheck.md'}")
    counts = table.groupby(["level", "verdict"]).size()
    print(f"claims: {args.claims}")
    if provenance:
        print(f"level 3 data: {provenance}")
    for (lv, v), n in counts.items():
        print(f"  level {lv}  {v:<15} {n:>4}")
    for _, r in table[table["verdict"].isin(["inconsistent", "decision_error", "infeasible"])].iterrows():
        print(f"  [{r['level']}] {r['verdict']:<14} {r['claim_id']}: {r['note'][:160]}")
    if provenance:
        from pyvalues.crosscheck.misses import level3_misses, level3_share

        sh = level3_share(table)
        print(f"level 3: {sh['n_reproduced']} of {sh['n_feasible']} feasible rows reproduced ({sh['share']:.1%}); "
              f"{sh['n_infeasible']} infeasible, {sh['n_not_checkable']} not checkable")
        print(f"level 3 without the misses proved infeasible ({sh['n_proven']}): {sh['n_reproduced']} of "
              f"{sh['n_feasible'] - sh['n_proven']} ({sh['share_proven']:.1%})")
        print(f"level 3 reachable by any complete-ranking data set: at most {sh['n_reachable']} of {sh['n_feasible']} "
              f"feasible rows ({sh['n_unreachable']} disjoint jointly infeasible set(s) of level-3 rows: "
              f"{', '.join(sh['unreachable_sets']) or 'none'}); reproduced {sh['n_reproduced']} "
              f"({sh['share_reachable']:.1%} of the reachable maximum)")
        for _, m in level3_misses(table).iterrows():
            print(f"  miss {m['claim_id']}: {m['classification']}")
        from pyvalues.crosscheck.misses import joint_certificates

        for _, j in joint_certificates(args.claims).iterrows():
            members = j["members"].split(";")
            shown = " + ".join(members) if len(members) <= 6 else f"{len(members)} claims ({', '.join(members[-5:])}, ...)"
            print(f"  jointly {'infeasible' if j['infeasible'] else 'feasible'} ({j['certificate']}): {shown} "
                  f"(forces out of level 3: {j['forced_level3'] or 'none'})")
    return 0


def read_paper(path: Path) -> str:
    """The text of a paper file: plain text, Markdown or LaTeX as is; PDF through pypdf (optional)."""
    if not path.exists():
        raise PyvaluesError(f"paper file {path} does not exist")
    if path.suffix.lower() == ".pdf":
        try:
            import pypdf
        except ImportError:
            raise PyvaluesError("reading a PDF needs the optional dependency pypdf: pip install 'pyvalues[pdf]' "
                                "(or pip install pypdf); or convert it to text first (pdftotext paper.pdf)") from None
        return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)
    return path.read_text(encoding="utf-8", errors="replace")


def _text_main(args) -> int:
    from pyvalues.crosscheck import check_text, compare_routes

    try:
        text = read_paper(Path(args.text))
        table = check_text(text, statcheck=False if args.no_statcheck else None)
        routes = None
        if args.claims:
            routes = compare_routes(table, crosscheck(args.claims, None, statcheck=False))
    except PyvaluesError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    results = table.assign(rid=table["claim_id"].str.split("_").str[0]).groupby("rid").first()
    print(f"text: {args.text}")
    print(f"results found: {len(results)}")
    for tt, n in results["test_type"].value_counts().items():
        print(f"  {tt:<8} {n:>4}")
    print("verdicts (all rows):")
    for v, n in table["verdict"].value_counts().items():
        print(f"  {v:<15} {n:>4}")
    raw = table.attrs.get("statcheck_raw")
    if raw is not None:
        print(f"R statcheck on the raw text reads {len(raw)} result(s); statcheck on our APA rendering: "
              f"{table.attrs.get('statcheck_rendered', 0)} result(s)")
    for _, r in table[table["verdict"].isin(["inconsistent", "decision_error"])].iterrows():
        print(f"  {r['verdict']:<14} {r['claim_id']} ({r['location']}): {r['statistic'][:70]}")
    if routes is not None:
        both = routes[routes["agree"].notna()]
        print(f"routes: {len(both)} results read by both, {int(both['agree'].astype(bool).sum())} with the same verdict; "
              f"text only {int(routes['claims_claim_id'].isna().sum())}, claims only {int(routes['text_claim_id'].isna().sum())}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "textcheck.csv", index=False, lineterminator="\n")
        (out / "textcheck.md").write_text(to_markdown(table, title="Cross-check of the reported tests found in the text",
                                                      source=f"Text: `{args.text}`.") + "\n", encoding="utf-8")
        wrote = [out / "textcheck.csv", out / "textcheck.md"]
        if routes is not None:
            routes.to_csv(out / "routes.csv", index=False, lineterminator="\n")
            wrote.append(out / "routes.csv")
        print("wrote " + ", ".join(map(str, wrote)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
