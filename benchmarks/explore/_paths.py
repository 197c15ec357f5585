"""Where the exploration scripts find the project (ROOT, put on sys.path) and write their data (OUT)."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("EXPLORE_OUT", ROOT / "benchmarks" / "out" / "explore"))
OUT.mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(ROOT))
