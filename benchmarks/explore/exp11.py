"""exp11: merge adjacent hits. Walking the fused ranking, a passage that overlaps or touches a result already
kept (same article, consecutive) joins that result instead of taking a slot, if its score is within `ratio` of
the result's best score and the result has fewer than `cap` passages. A merged result is relevant if any member
is (its span is the union, so this is a lower bound)."""
from _paths import OUT, ROOT  # noqa: F401
import lab
from lab import *
lab.use_sparse()
W = {"e5": 1, "use": 1, "bm25": 1, "sp": 0.5}
def adjacent(a, b, gap=2):
    return a.doc_id == b.doc_id and a.start <= b.end + gap and b.start <= a.end + gap
def merged(score, cap, ratio, k=10, window=None):
    order = sorted(range(N), key=lambda r: (-score[r], r))
    order = [r for r in order if score[r] > -1e8]
    base = diversify(order, P, 200)
    groups = []
    for pos, r in enumerate(base):
        joined = False
        if cap > 1:
            for g in groups:
                if len(g) < cap and any(adjacent(P[r], P[m]) for m in g) and score[r] >= ratio * score[g[0]] \
                        and (window is None or pos < window):
                    g.append(r); joined = True; break
        if not joined:
            groups.append([r])
        if len(groups) >= k and not joined:
            pass
    return groups[:k]
def evaluate2(setname, cap, ratio, window=None):
    res = {"all": [], "en": [], "ja": []}; sizes = []
    for d in D[setname]:
        c = lab.comps(d)
        s = fuse(c, W); groups = merged(s, cap, ratio, window=window); rel = set(d["rel"])
        sizes += [sum(P[m].end - P[m].start for m in g) for g in groups[:5]]
        r = next((i + 1 for i, g in enumerate(groups) if rel & set(g)), None)
        rr = 1 / r if r else 0.0; r5 = 1.0 if r and r <= 5 else 0.0
        for g in ("all", d["lang"]): res[g].append((r5, rr))
    out = {g: "%.3f/%.3f" % tuple(np.mean(v, axis=0)) for g, v in res.items()}
    out["chars"] = "%.0f" % np.mean(sizes)
    return out
for cap, ratio, window in ((1, 1, None), (2, 0.9, None), (2, 0.8, None), (2, 0.7, None), (2, 0.6, None), (3, 0.8, None), (2, 0.0, 3), (2, 0.8, 5)):
    t = evaluate2("team", cap, ratio, window); dv = evaluate2("dev", cap, ratio, window)
    print(f"cap={cap} ratio={ratio} win={window}  team {t['all']} en{t['en']} ja{t['ja']} chars {t['chars']} | dev {dv['all']} en{dv['en']} ja{dv['ja']} chars {dv['chars']}")
