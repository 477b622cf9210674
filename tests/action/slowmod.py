"""A local module with work at import time, for the verdict tests: the
"only an import got slower" case sets VERDICT_IMPORT to a larger factor
(as a cold cache or a heavier dependency would) and nothing else."""
import os


def _build_table(n):
    # Module-level set-up of the kind real packages do at import.
    table = {}
    for i in range(n):
        table[i % 9973] = (table.get(i % 9973, 0) * 31 + i) % 1000003
    return table


TABLE = _build_table(int(30000 * float(os.environ.get("VERDICT_IMPORT", "1"))))


def lookup(key):
    return TABLE.get(key % 9973, 0)
