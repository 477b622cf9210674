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
        self.main_started = None # perf_counter() when main() began

    def budget(self, imported, factor, minimum=1.0):
        """Seconds to give the planted loop: factor times the import time
        (which varies with the machine's load), at least minimum; so the
        planted line outweighs the import line on any machine."""
        return max(minimum, factor * (imported - self.started))

    def begin(self):
        """main() starts: the planted share is compared within main(), where
        the script only computes (imports also wait for the disk, and a
        sampler of running threads does not count waiting)."""
        self.main_started = time.perf_counter()

    def write(self, name):
        now = time.perf_counter()
        out = {"planted_seconds": self.planted, "elapsed_seconds": now - self.started,
               "main_seconds": now - self.main_started}
        where = os.environ.get("CSPROF_CALIBRATION_DIR")
        if where:
            with open(os.path.join(where, name + ".json"), "w", encoding="utf-8") as f:
                json.dump(out, f)
        else:
            json.dump(out, sys.stdout)
            print()
