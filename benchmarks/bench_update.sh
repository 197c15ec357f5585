#!/usr/bin/env bash
# One-document updates with `rag index build`, this tree against another checkout of the repo, side by side.
#   benchmarks/bench_update.sh OLD_TREE INDEX SEEDS [PAIRS]
# OLD_TREE: e.g. `git worktree add /tmp/before <commit>`; INDEX and SEEDS: a built index and its seeds (copied, never
# changed), e.g. .cache/test-index/*/index and .cache/test-index/*/seeds after `make test`. Each pair adds a copy of
# seed 003 with a changed headline and builds both trees, then removes it and builds both. Prints wall time and peak
# RSS per build. Each tree keeps its JMdict table in a cache of its own (the first, warm-up build may read JMdict).
set -euo pipefail
OLD=$(readlink -f "$1"); SRC=$(readlink -f "$2"); SEEDS=$(readlink -f "$3"); PAIRS=${4:-3}
NEW=$(cd "$(dirname "$0")/.." && pwd)
PY="$NEW/.venv/bin/python"
R=$(mktemp -d); trap 'rm -rf "$R"' EXIT
for side in old new; do
  cp -r "$SEEDS" "$R/seeds-$side"; chmod -R u+w "$R/seeds-$side"; cp -r "$SRC" "$R/index-$side"
  mkdir -p "$R/tables-$side"
done
run() {  # side tree label
  local side=$1 tree=$2 label=$3
  (cd "$tree" && RAG_CACHE_DIR="$R/tables-$side" /usr/bin/time -f "$side $label %e s %M KB" "$PY" -c \
    "import sys; sys.argv=['rag','index','build','--seeds','$R/seeds-$side','--index','$R/index-$side']; from api.cli import main; sys.exit(main())" \
    >/dev/null 2>"$R/err-$side"; tail -1 "$R/err-$side")
}
run old "$OLD" warm-up; run new "$NEW" warm-up
for i in $(seq "$PAIRS"); do
  for side in old new; do
    sed "s/習近平/周恩来$i/" "$R/seeds-$side/003_4dfd093ef708d448.txt" > "$R/seeds-$side/900_probe.txt"
  done
  run old "$OLD" add; run new "$NEW" add
  rm "$R/seeds-old/900_probe.txt" "$R/seeds-new/900_probe.txt"
  run new "$NEW" remove; run old "$OLD" remove
done
