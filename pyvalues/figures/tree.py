"""Geometry of the pvclust dendrogram, read from the ``cluster_edges`` table.

``cluster_edges`` holds R's ``hclust$merge`` (one row per merge; a negative entry -j is the
model in column j of the clustered matrix, i.e. the j-th model in the order of
``unique(model)``; a positive entry k is the cluster formed by merge k), the merge
``height`` and pvclust's ``au``/``bp``. Leaves are placed in the dendrogram order R chose
(``clusters.order``), each merge at the midpoint of its two children, as
``plot.hclust`` draws it. Nothing is re-clustered here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import PyvaluesError


@dataclass
class Tree:
    leaves: list[str]  # model names in dendrogram (left-to-right) order
    leaf_pos: dict[str, float]  # model -> position 0..n-1
    nodes: pd.DataFrame  # per merge: edge, x, height, au, bp, left_x, left_h, right_x, right_h, members


def linkage_matrix(edges: pd.DataFrame) -> np.ndarray:
    """scipy linkage matrix (n-1 x 4) equivalent to R's merge/height (for scipy users)."""
    n = len(edges) + 1
    size = {}
    rows = []
    for i, e in enumerate(edges.sort_values("edge").itertuples()):
        ids, cnt = [], 0
        for v in (int(e.left), int(e.right)):
            if v < 0:
                ids.append(-v - 1)
                cnt += 1
            else:
                ids.append(n + v - 1)
                cnt += size[v]
        size[i + 1] = cnt
        rows.append([ids[0], ids[1], float(e.height), cnt])
    return np.asarray(rows, dtype=float)


def tree_from_tables(edges: pd.DataFrame, clusters: pd.DataFrame, models_in_matrix_order: list[str]) -> Tree:
    n = len(models_in_matrix_order)
    if len(edges) != n - 1:
        raise PyvaluesError(
            f"cluster_edges has {len(edges)} merges but there are {n} models (expected {n - 1}); "
            "the results tables do not belong to the same run"
        )
    order = clusters.set_index("model")["order"]
    missing = set(models_in_matrix_order) - set(order.index)
    if missing:
        raise PyvaluesError(f"clusters has no row for model(s) {sorted(missing)}; rerun the analysis")
    leaf_pos = {m: float(order[m]) - 1.0 for m in models_in_matrix_order}
    node_x: dict[int, float] = {}
    node_h: dict[int, float] = {}
    node_members: dict[int, list[str]] = {}
    rows = []
    for e in edges.sort_values("edge").itertuples():
        xs, hs, mem = [], [], []
        for v in (int(e.left), int(e.right)):
            if v < 0:
                m = models_in_matrix_order[-v - 1]
                xs.append(leaf_pos[m])
                hs.append(0.0)
                mem.append(m)
            else:
                xs.append(node_x[v])
                hs.append(node_h[v])
                mem += node_members[v]
        k = int(e.edge)
        node_x[k] = (xs[0] + xs[1]) / 2
        node_h[k] = float(e.height)
        node_members[k] = mem
        rows.append(dict(edge=k, x=node_x[k], height=node_h[k], au=e.au, bp=e.bp,
                         left_x=xs[0], left_h=hs[0], right_x=xs[1], right_h=hs[1], members=mem))
    leaves = sorted(models_in_matrix_order, key=lambda m: leaf_pos[m])
    return Tree(leaves=leaves, leaf_pos=leaf_pos, nodes=pd.DataFrame(rows))


def draw_tree(ax, tree: Tree, orientation: str = "top", colour="#333333", lw=0.8) -> None:
    """Draw the tree's links. orientation 'top': leaves at y=0, height upwards;
    'left': leaves at x=0 on the right, height growing to the left (root at left)."""
    for r in tree.nodes.itertuples():
        for cx, ch in ((r.left_x, r.left_h), (r.right_x, r.right_h)):
            xs, ys = [cx, cx, r.x], [ch, r.height, r.height]
            if orientation == "top":
                ax.plot(xs, ys, color=colour, lw=lw, solid_capstyle="butt")
            else:
                ax.plot(ys, xs, color=colour, lw=lw, solid_capstyle="butt")
