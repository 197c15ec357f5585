"""exp14: semantic near-duplicate removal: skip a passage whose embedding is within tau of a kept one."""
from _paths import OUT, ROOT  # noqa: F401
from lab import *
import lab
lab.use_sparse()
PE = {s: D[f"P_{s}"] for s in SPECS}

def sem_rank_factory(spec, tau, same_doc):
    def rank2(score, k=10):
        order = sorted(range(N), key=lambda r: (-score[r], r))
        order = [r for r in order if score[r] > -1e8]
        first = diversify(order, P, 60)
        kept = []
        for r in first:
            if any((not same_doc or P[r].doc_id == P[o].doc_id) and float(PE[spec][r] @ PE[spec][o]) > tau for o in kept):
                continue
            kept.append(r)
            if len(kept) >= k: break
        return kept
    return rank2

def prod(d, c):
    return fuse(c, {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5})

report("baseline (production)", prod)
orig = lab.rank
for spec in SPECS:
    for tau in ((0.9, 0.92, 0.94, 0.96) if spec == "e5" else (0.8, 0.85, 0.9, 0.95)):
        for same in (True, False):
            lab.rank = sem_rank_factory(spec, tau, same)
            report(f"dedupe {spec} tau={tau} same_doc={same}", prod)
lab.rank = orig
# distribution of cosines among adjacent top-5 pairs
import itertools
for spec in SPECS:
    vals = []
    for d in D["team"]:
        top = rank(prod(d, comps(d)), 5)
        vals += [float(PE[spec][a] @ PE[spec][b]) for a, b in itertools.combinations(top, 2)]
    print(spec, "top-5 pair cosine percentiles 50/90/99:", np.percentile(vals, [50, 90, 99]).round(3))
