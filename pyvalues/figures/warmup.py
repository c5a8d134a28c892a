"""Importing this module draws one throwaway figure in the house style.

The figure workers' fork server preloads it (:mod:`pyvalues.figure_workers`), so every worker
starts with matplotlib's lazily loaded parts — the fonts (regular, bold, italic), the Agg
renderer, colour bars, legends, the PNG writer — already loaded, instead of paying for them
on its first real figure. Nothing is written to disk.
"""
from __future__ import annotations

import io


def warm_up() -> None:
    import numpy as np

    from . import style
    from .style import plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    with plt.rc_context(style.rc("en")):
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(2, 1.2))
        ax.barh([0, 1], [3, 5], xerr=[1, 1], color=["#E69F00", "#0072B2"])
        ax.set_yticks([0, 1], ["Accuracy", "Harmony"])
        ax.text(1, 0, "7.12", fontsize=6.5)
        ax.set_title("Fig. 0", fontweight="bold", fontstyle="italic")
        ax.legend(handles=[Patch(facecolor="#E69F00", label="a"),
                           Line2D([], [], marker="s", linestyle="", label="b")], frameon=False)
        im = ax2.imshow(np.arange(4.0).reshape(2, 2), cmap=style.IMPORTANCE_CMAP, norm=style.importance_norm())
        ax2.set_xticks([0, 1], ["x", "y"], rotation=60, ha="right", rotation_mode="anchor")
        style.importance_colorbar(fig, im, "en", "rank", ax=ax2)
        style.finish(fig, "Fig. 0. warm-up", "provenance", note="note")
        fig.savefig(io.BytesIO(), format="png", pil_kwargs={"compress_level": 3})
        plt.close(fig)


warm_up()
