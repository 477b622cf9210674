"""A heavy import chain: DEPTH packages, each importing the next at import
time and doing some work of its own. Written into argv[1], then imported."""
import os
import sys

root, depth = sys.argv[1], int(sys.argv[2])
os.makedirs(root, exist_ok=True)
for i in range(depth):
    nxt = f"import chain{i + 1}\n" if i + 1 < depth else ""
    with open(os.path.join(root, f"chain{i}.py"), "w") as f:
        f.write(f"t = 0\nfor k in range(400000):\n    t += k % 3\n{nxt}"
                f"for k in range(400000):\n    t += k % 5\n")
sys.path.insert(0, root)
import chain0  # noqa: E402,F401
