#!/usr/bin/env bash
# Ablation of the reranking stage with `rag eval` (docs/precision.md): each row is the team set and the shared dev
# set, in process, with one setting changed; all rows share one index. Held-out sets are never scored here.
# Usage: bash benchmarks/rerank_ablation.sh [OUT_DIR]   (default benchmarks/out/rerank; build index/ first)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/out/rerank}
mkdir -p "$out"
rag=${RAG:-.venv/bin/rag}
dev=${DEV:-../shared/eval/dev-questions.jsonl}
run() {  # name, env assignments...
  local name=$1; shift
  env "$@" $rag eval --modes hybrid --questions eval/questions/team.jsonl --json > "$out/$name.team.json"
  env "$@" $rag eval --modes hybrid --questions "$dev" --json > "$out/$name.dev.json"
  echo "$name done" >&2
}
run "1-first-stage"        RAG_RERANK=none
run "2-default"            # depth 20, proximity=0.25
run "3-sentence-bm25"      RAG_RERANK_WEIGHTS=proximity=0,sentence=0.25
run "4-coverage"           RAG_RERANK_WEIGHTS=proximity=0,coverage=0.25
run "5-answer-type"        RAG_RERANK_WEIGHTS=proximity=0,answer=0.5
run "6-default+answer"     RAG_RERANK_WEIGHTS=answer=0.25
run "7-coverage+proximity" RAG_RERANK_WEIGHTS=coverage=1,proximity=1
run "8-depth-30"           RAG_RERANK_DEPTH=30
${PYTHON:-.venv/bin/python} - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
print("| variant | team hit@1 / R@5 / MRR@10 | team en | team ja | dev hit@1 / R@5 / MRR@10 | dev en | dev ja |")
print("|---|---|---|---|---|---|---|")
cell = lambda g: f"{g['hit@1']:.3f} / {g['recall@5']:.3f} / {g['mrr@10']:.3f}"
for team in sorted(out.glob("*.team.json")):
    name = team.name[: -len(".team.json")]
    t = json.loads(team.read_text())["hybrid"]
    d = json.loads((out / f"{name}.dev.json").read_text())["hybrid"]
    print("| " + " | ".join([name, *(cell(t[g]) for g in ("all", "en", "ja")), *(cell(d[g]) for g in ("all", "en", "ja"))]) + " |")
PY
