#!/usr/bin/env bash
# Ablation of the hybrid pipeline: each row is `rag eval` on the team set and the shared dev set with one
# setting changed. Query-time settings reuse one index; chunking settings build their own index.
# Usage: bash benchmarks/ablation.sh [OUT_DIR]   (default benchmarks/out/ablation)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/out/ablation}
mkdir -p "$out"
rag=.venv/bin/rag
sets=(--questions eval/questions/team.jsonl)
dev=eval/questions/dev.jsonl
run() {  # name, index dir, env assignments...
  local name=$1 idx=$2; shift 2
  env "$@" $rag index build --index "$idx" --json >/dev/null
  env "$@" $rag eval --index "$idx" --modes hybrid --questions eval/questions/team.jsonl --json > "$out/$name.team.json"
  if [ -f "$dev" ]; then env "$@" $rag eval --index "$idx" --modes hybrid --questions "$dev" --json > "$out/$name.dev.json"; fi
  echo "$name done" >&2
}
base="$out/index-default"
# The first rows reproduce the path from the first baseline: 160-token chunks with the title embedded.
old=(RAG_CHUNK_MAX_TOKENS=160 RAG_EMBED_TITLE=1)
run "rrf-no-bridge"        "$base" "${old[@]}" RAG_FUSION=rrf RAG_BRIDGE=0 RAG_BM25_WEIGHT_EN=0
run "rrf-bridge"           "$base" "${old[@]}" RAG_FUSION=rrf
run "weighted-no-bridge"   "$base" "${old[@]}" RAG_BRIDGE=0 RAG_BM25_WEIGHT_EN=0
run "160-tokens+title"     "$base" "${old[@]}"
run "weighted-bridge-en0.5" "$base" "${old[@]}" RAG_BM25_WEIGHT_EN=0.5
run "weighted-bridge-en1.5" "$base" "${old[@]}" RAG_BM25_WEIGHT_EN=1.5
run "no-title-in-embedding" "$out/index-notitle" RAG_CHUNK_MAX_TOKENS=160 RAG_EMBED_TITLE=0
run "no-title-240"         "$out/index-nt240" RAG_CHUNK_MAX_TOKENS=240
run "default"              "$out/index-now"  # 200 tokens, no title, weighted fusion, bridge, English BM25 weight 1.0
run "chunks-100-tokens"    "$out/index-100" "${old[@]}" RAG_CHUNK_MAX_TOKENS=100
run "chunks-240-tokens"    "$out/index-240" "${old[@]}" RAG_CHUNK_MAX_TOKENS=240
run "no-overlap"           "$out/index-overlap0" "${old[@]}" RAG_CHUNK_OVERLAP=0
.venv/bin/python - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
print("| variant | team R@5 | team MRR@10 | team en R@5 / MRR | dev R@5 | dev MRR@10 | dev en R@5 / MRR |")
print("|---|---:|---:|---:|---:|---:|---:|")
for team in sorted(out.glob("*.team.json"), key=lambda p: p.stat().st_mtime):
    name = team.name[: -len(".team.json")]
    t = json.loads(team.read_text())["hybrid"]
    devf = out / f"{name}.dev.json"
    d = json.loads(devf.read_text())["hybrid"] if devf.exists() else None
    f = lambda g, m: f"{g[m]:.3f}"
    row = [name, f(t["all"], "recall@5"), f(t["all"], "mrr@10"), f"{t['en']['recall@5']:.3f} / {t['en']['mrr@10']:.3f}"]
    row += [f(d["all"], "recall@5"), f(d["all"], "mrr@10"), f"{d['en']['recall@5']:.3f} / {d['en']['mrr@10']:.3f}"] if d else ["–"] * 3
    print("| " + " | ".join(row) + " |")
PY
