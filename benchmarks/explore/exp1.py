from _paths import OUT, ROOT  # noqa: F401
from lab import *
report("baseline", base())
for ws in (0.5, 1.0):
    report(f"+sent maxsim both w={ws}", lambda d, c, ws=ws: fuse(c, {"e5": 1, "use": 1, "e5_s": ws, "use_s": ws, "bm25": 1}))
report("sent only (no passage)", lambda d, c: fuse(c, {"e5_s": 1, "use_s": 1, "bm25": 1}))
report("+e5_s only", lambda d, c: fuse(c, {"e5": 1, "use": 1, "e5_s": 1, "bm25": 1}))
report("+use_s only", lambda d, c: fuse(c, {"e5": 1, "use": 1, "use_s": 1, "bm25": 1}))
for name in ("e5", "use", "e5_s", "use_s", "bm25"):
    report(f"single {name}", lambda d, c, name=name: fuse(c, {name: 1}))
