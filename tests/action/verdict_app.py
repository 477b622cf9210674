"""A small pure-Python "validation script" for the verdict tests (stdlib
only): your own functions (tokenize, plant, encode_records) around the
json and re modules, and a local module (slowmod) with work at import.

Knobs, from the environment so the script line (which keys the baseline
cache) stays the same:
  VERDICT_PLANT=3   plant() does 3x the work (one user function changed)
  VERDICT_LIB=3     encode_records() calls json.dumps 3x as often (a
                    library function called more by one user function)
  VERDICT_IMPORT=60 slowmod's import does 60x the work (only an import)
"""
import json
import os
import re
import sys

import slowmod

WORD = re.compile(r"[a-z]+|\d+")
TEXT = "alpha 12 beta 345 gamma delta 6789 epsilon " * 4


def tokenize(n):
    count = 0
    for _ in range(n):
        count += len(WORD.findall(TEXT))
    return count


def plant(n):
    acc = 0
    for i in range(n):
        acc = (acc * 7 + i * i) % 1000003
    return acc


def encode_records(n):
    size = 0
    record = {"id": 1, "name": "sample", "values": [1.5, 2.5, 3.5], "ok": True}
    for i in range(n):
        record["id"] = i
        size += len(json.dumps(record))
    return size


def main():
    plant_scale = float(os.environ.get("VERDICT_PLANT", "1"))
    lib_scale = float(os.environ.get("VERDICT_LIB", "1"))
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1200
    # Short interleaved rounds (as in workload.py): a sampler stall on a
    # busy machine then misses all functions alike.
    total = 0
    for r in range(rounds):
        total += tokenize(25)
        total += plant(int(1500 * plant_scale))
        total += encode_records(int(40 * lib_scale))
        total += slowmod.lookup(r)
    print("total", total)


if __name__ == "__main__":
    main()
