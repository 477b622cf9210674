"""Validation: a report figure (matplotlib, Agg) drawn and saved as PNG
after every update of its data. The planted hotspot is the savefig in
render."""
import time

T0 = time.perf_counter()
import io  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from calibration import Calibration  # noqa: E402

CAL = Calibration(T0)
IMPORTED = time.perf_counter()


def make_figure(rng):
    fig, ax = plt.subplots(figsize=(6, 4))
    t = np.linspace(0, 10, 4000)
    for k in range(4):
        ax.plot(t, np.sin(t * (k + 1)) + 0.1 * rng.standard_normal(t.size), lw=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("signal")
    return fig


def render(fig, deadline):
    sizes = []
    while time.perf_counter() < deadline:
        buf = io.BytesIO()
        t = time.perf_counter()
        fig.savefig(buf, format="png", dpi=80)  # PLANTED
        CAL.planted += time.perf_counter() - t
        sizes.append(buf.tell())
    return sizes


def main():
    rng = np.random.default_rng(1)
    fig = make_figure(rng)
    sizes = render(fig, time.perf_counter() + CAL.budget(IMPORTED, 1.5))
    assert sizes and min(sizes) > 1000
    plt.close(fig)
    CAL.write("plot_figure")


main()
