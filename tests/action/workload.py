"""A CPU-bound workload with a few distinct hot functions, for the action
and diff tests. --scale F multiplies the work of slow_part alone, so F=1
and F=4 are "the same program before and after a regression".
The scale can also come from WORKLOAD_SCALE, so the action tests can
"change the code" without changing the script line (which keys the
baseline cache). --fail makes it exit 3 after doing its work."""
import argparse
import os
import sys


def parse_rows(n):
    rows = []
    for i in range(n):
        line = f"{i},{i * 7 % 13},{i * 31 % 17}"
        rows.append(tuple(int(x) for x in line.split(",")))
    return rows


def checksum(rows):
    total = 0
    for a, b, c in rows:
        total = (total * 31 + a * b + c) % 1000003
    return total


def slow_part(n):
    acc = 0
    for i in range(n):
        acc += (i * i) % 7
    return acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=float(os.environ.get("WORKLOAD_SCALE", "1")))
    ap.add_argument("--size", type=int, default=60000)
    ap.add_argument("--fail", action="store_true")
    args = ap.parse_args()
    rows = parse_rows(args.size)
    print("checksum", checksum(rows))
    print("slow", slow_part(int(args.size * 6 * args.scale)))
    if args.fail:
        print("failing on purpose", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
