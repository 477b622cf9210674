"""Shared by the realistic validation scripts: how long the planted hotspot
ran, measured by the script itself with perf_counter around the planted
calls only, so its share of the run is known by construction.

Written to $CSPROF_CALIBRATION_DIR/<script>.json when that is set (the
integration test reads it), else printed.
"""
import json
import os
import sys
import time


class Calibration:
    def __init__(self, started):
        self.started = started   # perf_counter() at the script's first line
        self.planted = 0.0       # seconds inside the planted calls

    def budget(self, imported, factor, minimum=1.0):
        """Seconds to give the planted loop: factor times the import time
        (which varies with the machine's load), at least minimum; so the
        planted line outweighs the import line on any machine."""
        return max(minimum, factor * (imported - self.started))

    def write(self, name):
        elapsed = time.perf_counter() - self.started
        out = {"planted_seconds": self.planted, "elapsed_seconds": elapsed}
        where = os.environ.get("CSPROF_CALIBRATION_DIR")
        if where:
            with open(os.path.join(where, name + ".json"), "w", encoding="utf-8") as f:
                json.dump(out, f)
        else:
            json.dump(out, sys.stdout)
            print()
