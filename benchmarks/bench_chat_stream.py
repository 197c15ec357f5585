"""Time to first token of a streamed chat answer with an LLM, against the time to the whole answer.

A real `rag serve` is pointed at the fake OpenAI-compatible model of the tests (tests/answers/fake_llm.py), which
sends its reply one small token every DELAY seconds. The first content token should reach the client after about
the retrieval time plus one model token, not after the whole reply.

    python benchmarks/bench_chat_stream.py --seeds .cache/test-index/<key>/seeds --index .cache/test-index/<key>/index
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from answers.fake_llm import FakeLLM  # noqa: E402
from api.process import running_server  # noqa: E402

QUESTIONS = ("What did Lavrov say about an alliance with China?", "ラヴロフ外相は中国との同盟について何と言ったか",
             "How long did Putin and Xi talk in Moscow?", "北朝鮮の代表団を率いたのは誰か")


def timed_stream(http: httpx.Client, url: str, question: str) -> tuple[float, float]:
    """(seconds to the first content token, seconds to [DONE])."""
    t0 = time.perf_counter()
    first = None
    body = {"stream": True, "messages": [{"role": "user", "content": question}]}
    with http.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
        for line in response.iter_lines():
            if first is None and line.startswith("data: {"):
                choices = json.loads(line[6:])["choices"]
                if choices and choices[0]["delta"].get("content"):
                    first = time.perf_counter() - t0
    return first or float("nan"), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.03, help="seconds between the fake model's tokens")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with FakeLLM(["reply"], delay_s=args.delay) as llm, tempfile.TemporaryDirectory() as tmp:
        env = {"RAG_LLM_BASE_URL": llm.base_url, "RAG_LLM_RETRIES": "0"}
        with running_server(args.seeds, args.index, Path(tmp) / "server.log", env=env) as url, \
                httpx.Client(timeout=120) as http:
            for q in QUESTIONS:  # warm the query caches and the model threads
                timed_stream(http, url, q)
            search, first, done, plain = [], [], [], []
            for _ in range(args.rounds):
                for q in QUESTIONS:
                    t0 = time.perf_counter()
                    http.post(f"{url}/v1/search", json={"query": q, "top_k": 5}).raise_for_status()
                    search.append(time.perf_counter() - t0)
                    f, d = timed_stream(http, url, q)
                    first.append(f)
                    done.append(d)
                    t0 = time.perf_counter()
                    http.post(f"{url}/v1/chat/completions",
                              json={"messages": [{"role": "user", "content": q}]}).raise_for_status()
                    plain.append(time.perf_counter() - t0)
    tokens = len(llm.tokens())
    print(f"fake model: {tokens} tokens, {args.delay * 1000:.0f} ms apart ({tokens * args.delay * 1000:.0f} ms a reply)")
    for name, values in (("/v1/search (retrieval)", search), ("stream: first token", first),
                         ("stream: [DONE]", done), ("plain completion", plain)):
        print(f"{name:24s} p50 {statistics.median(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms"
              f"   (n={len(values)})")


if __name__ == "__main__":
    main()
