"""Real third-party clients against a real `rag serve` process: the official openai SDK (create(stream=True) and the
.stream() helper) and simonw's `llm` CLI, plus token streaming from an LLM (the fake on 127.0.0.1) through the
service: the first token reaches the client while the model is still holding back the rest."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from api.process import running_server

from api_support import EN_QUESTION, JA_QUESTION

try:  # the answers team's fake OpenAI-compatible server
    from answers.fake_llm import FakeLLM
except ImportError:  # pragma: no cover - when tests/ becomes a package
    from tests.answers.fake_llm import FakeLLM

pytestmark = pytest.mark.slow

MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def llm():
    """The fake model the server is pointed at; it fails (HTTP 500) unless a test says otherwise, so answers are
    the real extractive ones."""
    with FakeLLM(["error500"], hang_s=30) as fake:
        yield fake


@pytest.fixture(scope="module")
def server(built_index, tmp_path_factory, llm):
    settings, _ = built_index
    root = tmp_path_factory.mktemp("chat-clients")
    seeds, index = root / "seeds", root / "index"
    shutil.copytree(settings.seeds_dir, seeds)
    shutil.copytree(settings.index_dir, index, ignore=shutil.ignore_patterns(".build.lock"))
    env = {"RAG_LLM_BASE_URL": llm.base_url, "RAG_LLM_RETRIES": "0", "RAG_LLM_TIMEOUT_S": "30"}
    with running_server(seeds, index, root / "server.log", env=env) as url:
        yield url


@pytest.fixture
def extractive(llm):
    llm.behaviours = ("error500",)
    yield


@pytest.fixture(scope="module")
def sdk(server) -> OpenAI:
    return OpenAI(base_url=f"{server}/v1", api_key="x", timeout=120, max_retries=0)


def plain(sdk: OpenAI, question: str):
    return sdk.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": question}])


def check_annotations(content: str, annotations: list[dict], results: list[dict]) -> None:
    answer = content.split("\n\nSources:\n")[0]
    assert annotations and len(annotations) == len(set(MARKER.findall(answer))) == len(results)
    for n, a in enumerate(annotations, start=1):  # entry n - 1 is [n], at its first place in the text
        cite = a["url_citation"]
        assert content[cite["start_index"] : cite["end_index"]] == f"[{n}]" and cite["start_index"] == answer.index(f"[{n}]")
        assert cite["url"] == results[n - 1]["url"]


def test_sdk_plain_completion_exposes_the_annotations_as_typed_objects(sdk, extractive):
    reply = plain(sdk, EN_QUESTION)
    message = reply.choices[0].message
    assert message.annotations and all(a.type == "url_citation" for a in message.annotations)
    results = reply.model_extra["search_results"]
    check_annotations(message.content, [a.model_dump() for a in message.annotations], results)
    assert reply.model_extra["citations"] == [r["url"] for r in results]
    assert all(u.startswith(f"{sdk.base_url.scheme}://{sdk.base_url.host}:{sdk.base_url.port}/documents/")
               for u in reply.model_extra["citations"])


def test_sdk_sees_a_general_question_answered_without_quotes_and_covered_false(sdk, extractive):
    """The openai SDK against the real server: the reply to a question no passage is about quotes none
    (rag/answers/coverage/), so it has no annotations, and says why in `covered`; the closest passages are its
    sources. A greeting gets the small-talk reply, listing nothing."""
    greeting = plain(sdk, "hello")
    assert greeting.model_extra["covered"] is False and not greeting.choices[0].message.annotations
    assert greeting.model_extra["search_results"] == [] and "Sources:" not in greeting.choices[0].message.content
    reply = plain(sdk, "Tell me a joke")
    message = reply.choices[0].message
    assert reply.model_extra["covered"] is False and not message.annotations
    assert message.content.startswith("None of the passages found seems to answer this question")
    assert not MARKER.search(message.content.split("\n\nSources:\n")[0])
    assert len(reply.model_extra["search_results"]) == 3 and message.content.count("\n[") == 3
    assert plain(sdk, EN_QUESTION).model_extra["covered"] is True


def test_sdk_create_stream_with_usage_gets_the_annotations_on_the_stop_chunk(sdk, extractive):
    reference = plain(sdk, JA_QUESTION)
    stream = sdk.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": JA_QUESTION}],
                                         stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    *content_chunks, usage_chunk = chunks
    assert usage_chunk.choices == [] and usage_chunk.usage.total_tokens == reference.usage.total_tokens
    assert all(len(c.choices) == 1 for c in content_chunks)
    stop = content_chunks[-1]
    assert stop.choices[0].finish_reason == "stop"
    annotations = stop.choices[0].delta.model_extra["annotations"]
    assert annotations == [a.model_dump() for a in reference.choices[0].message.annotations]
    content = "".join(c.choices[0].delta.content or "" for c in content_chunks)
    assert content == reference.choices[0].message.content
    assert stop.model_extra["search_results"] == reference.model_extra["search_results"]
    assert stop.model_extra["lang"] == "ja"


def test_sdk_stream_helper_builds_the_final_completion_with_its_annotations(sdk, extractive):
    reference = plain(sdk, EN_QUESTION)
    deltas = []
    with sdk.chat.completions.stream(model="newsrag", messages=[{"role": "user", "content": EN_QUESTION}],
                                     stream_options={"include_usage": True}) as stream:
        for event in stream:
            if event.type == "content.delta":
                deltas.append(event.delta)
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert "".join(deltas) == message.content == reference.choices[0].message.content
    expected = [a.model_dump() for a in reference.choices[0].message.annotations]
    assert [a.model_dump() for a in message.annotations] == expected
    assert final.usage.total_tokens == reference.usage.total_tokens


def _llm_cli(server: str, user_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (user_path / "extra-openai-models.yaml").write_text(
        f"- model_id: newsrag\n  model_name: newsrag\n  api_base: \"{server}/v1\"\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLM_"))}
    env["LLM_USER_PATH"] = str(user_path)
    return subprocess.run([sys.executable, "-m", "llm", *args], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("stream", [True, False])
def test_the_llm_cli_prints_the_answer_with_its_sources_and_logs_the_usage(server, sdk, extractive, tmp_path,
                                                                           stream):
    reference = plain(sdk, EN_QUESTION).choices[0].message.content
    proc = _llm_cli(server, tmp_path, "-m", "newsrag", *([] if stream else ["--no-stream"]), EN_QUESTION)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == reference + "\n"
    assert "[1]" in proc.stdout and f"{server}/documents/" in proc.stdout
    logs = _llm_cli(server, tmp_path, "logs", "--json", "-n", "1")
    assert logs.returncode == 0, logs.stderr
    (entry,) = json.loads(logs.stdout)
    assert entry["response"] == reference
    if stream:  # llm asks for stream_options.include_usage and records the usage chunk
        assert entry["input_tokens"] > 0 and entry["output_tokens"] > 0


def test_the_first_model_token_reaches_the_client_while_the_model_is_still_writing(server, llm):
    gate = threading.Event()
    llm.behaviours, llm.gate, llm.gate_after = ("reply",), gate, 1
    try:
        with httpx.Client(timeout=120) as http, http.stream("POST", f"{server}/v1/chat/completions", json={
                "stream": True, "messages": [{"role": "user", "content": EN_QUESTION}]}) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            content = ""
            for line in lines:
                if line.startswith("data: {"):
                    content += json.loads(line[6:])["choices"][0]["delta"].get("content", "")
                    if content:
                        break
            # the model has sent one token and waits for the gate: what we hold came from it as it was written
            assert content == llm.tokens()[0] and not gate.is_set()
            gate.set()
            rest = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    finally:
        llm.gate, llm.behaviours = None, ("error500",)
    content += "".join(c["choices"][0]["delta"].get("content", "") for c in rest if c["choices"])
    final = next(c for c in rest if c["choices"] and c["choices"][0]["finish_reason"] == "stop")
    assert final["generator"] == "llm"
    assert content.startswith("Lavrov said Russia is open to discussing the building of a true alliance with "
                              "China [1].")
    assert "[9]" not in content  # the fake's marker pointing at no passage never reached the client
    check_annotations(content, final["choices"][0]["delta"]["annotations"], final["search_results"])


@pytest.mark.parametrize("stream", [False, True])
def test_the_clients_system_and_developer_messages_reach_the_model_after_the_services_rules(sdk, llm, stream):
    llm.behaviours = ("reply",)
    asked = len(llm.requests)
    messages = [{"role": "system", "content": "You are a terse assistant."},
                {"role": "developer", "content": [{"type": "text", "text": "Use bullet points."}]},
                {"role": "user", "content": EN_QUESTION}]
    try:
        if stream:
            with sdk.chat.completions.stream(model="newsrag", messages=messages) as events:
                reply = events.get_final_completion()
        else:
            reply = sdk.chat.completions.create(model="newsrag", messages=messages)
    finally:
        llm.behaviours = ("error500",)
    (request,) = llm.requests[asked:]
    system, user = request.body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    # the service's rules first, then the client's messages in order; the question and passages as without them
    assert system["content"].startswith("You answer questions about news articles using only the numbered passages")
    assert system["content"].endswith("\nYou are a terse assistant.\n\nUse bullet points.")
    assert user["content"].endswith(f"Question: {EN_QUESTION}") and "terse" not in user["content"]
    assert reply.choices[0].message.content.startswith("Lavrov said Russia is open to discussing")
    if not stream:  # the client's messages are not searched: the passages are a plain question's
        assert reply.model_extra["passages"] == plain(sdk, EN_QUESTION).model_extra["passages"]
