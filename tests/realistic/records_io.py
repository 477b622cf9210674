"""Validation: measurement records written as CSV, read back, exchanged as
JSON and summarised with numpy. The planted hotspot is the JSON parse in
parse_records."""
import time

T0 = time.perf_counter()
import csv  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402

from calibration import Calibration  # noqa: E402

CAL = Calibration(T0)
IMPORTED = time.perf_counter()


def make_records(n):
    return [{"id": i, "sensor": f"s{i % 17}", "value": (i * 7919) % 1000 / 10.0,
             "flags": ["ok", "checked"] if i % 3 else ["retry"]} for i in range(n)]


def write_csv(records):
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=["id", "sensor", "value"])
    w.writeheader()
    for r in records:
        w.writerow({k: r[k] for k in ("id", "sensor", "value")})
    return out.getvalue()


def read_csv(text):
    return [float(row["value"]) for row in csv.DictReader(io.StringIO(text))]


def parse_records(text, deadline):
    records = []
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        records = json.loads(text)  # PLANTED
        CAL.planted += time.perf_counter() - t
    return records


def main():
    records = make_records(20000)
    values = read_csv(write_csv(records))
    text = json.dumps(records)
    parsed = parse_records(text, time.perf_counter() + CAL.budget(IMPORTED, 1.5))
    assert len(parsed) == len(records)
    assert abs(np.mean(values) - np.mean([r["value"] for r in parsed])) < 1e-9
    CAL.write("records_io")


main()
