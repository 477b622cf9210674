"""A small validation script of the kind CI runs on every push: it simulates
noisy measurements, parses them back from JSON, checks them with regular
expressions and statistics, and reports. Bundled so `make example` has
something real to profile; it needs nothing but the standard library."""
import json
import random
import re
import statistics
import sys

RECORD = re.compile(r"^sensor-(\d+):(ok|warn|fail)$")


def simulate(n, rng):
    """A random walk per sensor, in plain Python: the hot loop."""
    walks = []
    for sensor in range(n):
        x, path = 0.0, []
        for _ in range(400):
            x += rng.gauss(0.0, 1.0)
            path.append(x)
        walks.append({"sensor": f"sensor-{sensor}", "path": path})
    return walks


def round_trip(walks):
    """Serialise and parse again, as results stored between jobs would be."""
    return json.loads(json.dumps(walks))


def classify(walks):
    labels = []
    for w in walks:
        spread = max(w["path"]) - min(w["path"])
        status = "ok" if spread < 60 else "warn" if spread < 90 else "fail"
        labels.append(f"{w['sensor']}:{status}")
    return labels


def check(labels):
    counts = {"ok": 0, "warn": 0, "fail": 0}
    for label in labels:
        m = RECORD.match(label)
        if not m:
            raise ValueError(f"bad label {label!r}")
        counts[m.group(2)] += 1
    return counts


def summarise(walks):
    finals = sorted(w["path"][-1] for w in walks)
    return statistics.mean(finals), statistics.stdev(finals)


def main(rounds):
    rng = random.Random(42)
    for r in range(rounds):
        walks = round_trip(simulate(300, rng))
        counts = check(classify(walks))
        mean, sd = summarise(walks)
        print(f"round {r}: {counts} mean={mean:+.2f} sd={sd:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
