"""A multiprocessing pool (fork start method, so it works with every
interpreter here, including those started through their own ld-linux):
the workers spin in pool_work."""
import multiprocessing
import time


def pool_work(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass  # SPIN-pool
    return seconds


if __name__ == "__main__":
    with multiprocessing.get_context("fork").Pool(2) as pool:
        print(sum(pool.map(pool_work, [0.5] * 4)))
