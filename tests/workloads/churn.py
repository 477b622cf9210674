"""Creates and frees code objects all the time, so their addresses are
reused: outer_K must always be seen calling inner_K of the same K."""
import time


def main():
    end = time.perf_counter() + 1.5
    k = 0
    while time.perf_counter() < end:
        src = (f"def outer_{k}(e):\n    return inner_{k}(e)\n"
               f"def inner_{k}(e):\n    while time.perf_counter() < e:\n        pass\n")
        ns = {"time": time}
        exec(compile(src, f"<gen{k}>", "exec"), ns)
        ns[f"outer_{k}"](time.perf_counter() + 0.003)
        del ns
        k += 1


main()
