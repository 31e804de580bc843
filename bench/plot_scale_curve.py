"""Draws the scale curve's table (bench/scale_curve.sh) as a PNG: upload and warm-start seconds
against gigabytes, per dtype, with the preview's milliseconds and the peak heap beside them.

    /usr/bin/python3 bench/plot_scale_curve.py TABLE.tsv OUT.png      (python3-matplotlib)
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    table, out = sys.argv[1], sys.argv[2]
    rows = list(csv.DictReader(open(table), delimiter="\t"))
    curve = [r for r in rows if r["tensors"] == "1000"]
    fig, (left, mid, right) = plt.subplots(1, 3, figsize=(15, 4.5))
    for dtype, marker in (("F32", "o"), ("F16", "s")):
        pts = sorted((int(r["size_mb"]) / 1024, r) for r in curve if r["dtype"] == dtype)
        if not pts:
            continue
        gb = [p[0] for p in pts]
        left.plot(gb, [float(p[1]["upload_s"]) for p in pts], marker=marker, label=f"upload {dtype}")
        left.plot(gb, [float(p[1]["warmstart_s"]) for p in pts], marker=marker, linestyle="--",
                  label=f"warm-start {dtype}")
        mid.plot(gb, [float(p[1]["preview_ms"]) for p in pts], marker=marker, label=f"preview {dtype}")
        right.plot(gb, [int(p[1]["peak_heap_mb"]) for p in pts], marker=marker,
                   label=f"peak heap {dtype}")
    left.set(xlabel="checkpoint size (GB)", ylabel="seconds", title="time grows with bytes")
    mid.set(xlabel="checkpoint size (GB)", ylabel="ms (median of 5)",
            title="preview stays flat (1,000 tensors)")
    right.set(xlabel="checkpoint size (GB)", ylabel="MB", title="heap stays flat (-Xmx512m)")
    mid.set_ylim(bottom=0)
    right.set_ylim(bottom=0, top=512)
    for ax in (left, mid, right):
        ax.grid(alpha=0.3)
        ax.legend()
    extra = [r for r in rows if r["tensors"] != "1000"]
    note = "; ".join(
        f"{r['case']}: {r['tensors']} tensors, {int(r['size_mb'])} MB, upload {r['upload_s']} s, "
        f"preview {r['preview_ms']} ms, warm-start {r['warmstart_s']} s" for r in extra)
    fig.suptitle("Graft scale curve (2-core machine)" + ("\n" + note if note else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    main()
