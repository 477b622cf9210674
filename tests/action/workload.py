"""A CPU-bound workload with a few distinct hot functions, for the action
and diff tests. --scale F multiplies the work of slow_part alone, so F=1
and F=4 are "the same program before and after a regression".
The scale can also come from WORKLOAD_SCALE, so the action tests can
"change the code" without changing the script line (which keys the
baseline cache). --fail makes it exit 3 after doing its work."""
import argparse
import os
import sys


# Plain integer arithmetic, no allocation: on a busy machine a memory-bound
# function slows down more than a compute-bound one, which would change the
# real shares from run to run; these three slow down alike.
def parse_rows(n):
    total = 0
    for i in range(n):
        v = i * 7919 % 100003
        total += v // 10 + v % 10 + (v >> 3)
    return total


def checksum(n):
    total = 0
    for i in range(n):
        total = (total * 31 + i) % 1000003
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
    # The functions take turns in rounds well under a millisecond instead of
    # running one phase after the other: a sampler that falls behind for a
    # few milliseconds (a busy machine) then misses all of them alike, and
    # two runs give the same shares. With long phases such stalls shift
    # whole phases' shares from run to run.
    per_round = 100
    rounds = max(1, args.size // per_round)
    total, slow = 0, 0
    for _ in range(rounds):
        total = (total + parse_rows(per_round * 3) + checksum(per_round)) % 1000003
        slow += slow_part(int(per_round * 4 * args.scale))
    print("checksum", total)
    print("slow", slow)
    if args.fail:
        print("failing on purpose", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
