"""`edgembed serve`, the OpenAI-compatible embedding server, on 127.0.0.1 only.

- The official `openai` client gets the CLI's vectors, as floats and as base64 (its default), with
  `dimensions` (cut, then renormalized), token-id input and input_type / prompt_name.
- A load test: 64 concurrent clients, thousands of requests (bounded to about a minute), none lost, each
  answer equal to the CLI's vector for its text; latency p50 / p99 and throughput against `edgembed embed`
  on the same texts are printed (timing is not asserted beyond a loose sanity check).
- Bad requests get an OpenAI-style error (400, 401, 404, 413, 429 with Retry-After) and leave the server
  serving, as do clients that disconnect mid-request; SIGTERM finishes the request in flight, then exits 0.

Run: .venv/bin/python -m pytest -q -s tests/python/test_server.py (EDGEMBED_BIN, EDGEMBED_MODEL as in conftest.py;
-s shows the load numbers). Every server is killed by its fixture's finalizer.
"""
from __future__ import annotations

import base64
import concurrent.futures
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli
from conftest import load_texts

API_KEY = "test-key"
MODEL_NAME = "minilm"
# Server and CLI run the same kernels on the same token ids; only the packing of sequences into forward
# passes differs, which can move the last bits of a float32 GEMM row: 1e-5 absolute on unit vectors is
# ~100 float32 ulps at 0.1, far below any real difference (a wrong token moves entries by > 1e-3).
ATOL = 1e-5
CLIENTS = 64
LOAD_SECONDS = 45.0
LOAD_REQUESTS = 3000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *flags: str, models: tuple[str, ...] = (f"{MODEL_NAME}={edgembed_cli.MODEL}",)):
        self.port = free_port()
        self.proc = subprocess.Popen([edgembed_cli.BIN, "serve", *[f for m in models for f in ("-m", m)],
                                      "--port", str(self.port), *flags],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"edgembed serve exited with {self.proc.returncode}: {self.proc.stderr.read()}")
            try:
                if self.get("/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.kill()
        pytest.fail("edgembed serve did not answer /health within 30 s")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 60) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, bytes]:
        status, _, body = self.request("GET", path, timeout=5)
        return status, body

    def post(self, payload, key: str | None = API_KEY, raw: bytes | None = None) -> tuple[int, dict, dict]:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        status, h, body = self.request("POST", "/v1/embeddings", raw if raw is not None else json.dumps(payload).encode(),
                                       headers)
        return status, h, json.loads(body)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server():
    if not edgembed_cli.available():
        pytest.fail("edgembed not built or model missing (set EDGEMBED_BIN, EDGEMBED_MODEL)")
    if edgembed_cli.run(["serve", "--help"]).returncode != 0:
        pytest.skip("this edgembed was built without cpp-httplib: no serve command")
    s = Server("--api-key", API_KEY, "--max-body-bytes", "1000000", "--max-inputs", "512", "--batch-size", "32")
    yield s
    s.kill()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    sentences = list(dict.fromkeys(load_texts("stsb_test")))[:600]
    return sentences + ["a long text " * 200, "naïve café — 東京 🙂"]


CLI_SECONDS = {}


@pytest.fixture(scope="module")
def cli_vectors(texts) -> np.ndarray:
    """The CLI's vectors; its time on the sentences (model load included) is the load test's yardstick."""
    t0 = time.perf_counter()
    sentences = edgembed_cli.embed(texts[:-2], batch_size=32)
    CLI_SECONDS["sentences"] = time.perf_counter() - t0
    return np.concatenate([sentences, edgembed_cli.embed(texts[-2:], batch_size=32)])


def client(server):
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=f"http://127.0.0.1:{server.port}/v1", api_key=API_KEY, max_retries=0, timeout=60)


def decode(item) -> np.ndarray:
    e = item["embedding"]
    return np.frombuffer(base64.b64decode(e), dtype="<f4") if isinstance(e, str) else np.asarray(e, dtype=np.float32)


def test_openai_client_gets_the_cli_vectors(server, texts, cli_vectors):
    c = client(server)
    sample = texts[:40] + texts[-2:]
    expected = np.concatenate([cli_vectors[:40], cli_vectors[-2:]])
    default = c.embeddings.create(model=MODEL_NAME, input=sample)  # the client asks for base64 and decodes it
    as_float = c.embeddings.create(model=MODEL_NAME, input=sample, encoding_format="float")
    for response in (default, as_float):
        got = np.array([d.embedding for d in sorted(response.data, key=lambda d: d.index)], dtype=np.float32)
        np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)
        assert response.model == MODEL_NAME and response.object == "list"
    ids = edgembed_cli.run(["tokenize", "-m", edgembed_cli.MODEL, "--input", "jsonl"],
                           stdin="".join(json.dumps(t) + "\n" for t in sample)).stdout.splitlines()
    assert default.usage.prompt_tokens == default.usage.total_tokens == sum(len(json.loads(x)) for x in ids)
    one = c.embeddings.create(model=MODEL_NAME, input=texts[3])
    np.testing.assert_allclose(one.data[0].embedding, cli_vectors[3], rtol=0, atol=ATOL)


def test_dimensions_cut_then_renormalize(server, texts, cli_vectors):
    c = client(server)
    for fmt in ("float", "base64"):
        r = c.embeddings.create(model=MODEL_NAME, input=texts[:5], dimensions=64, encoding_format=fmt)
        got = np.array([d.embedding for d in r.data], dtype=np.float32) if fmt == "float" else \
            np.array([np.frombuffer(base64.b64decode(d.embedding), dtype="<f4") for d in r.data])
        cut = cli_vectors[:5, :64]
        np.testing.assert_allclose(got, cut / np.linalg.norm(cut, axis=1, keepdims=True), rtol=0, atol=ATOL)


def test_token_id_input_is_the_texts_pieces(server, texts, cli_vectors):
    # Token arrays are a text's pieces without [CLS] / [SEP] (as OpenAI treats them: the text's tokens);
    # the server adds the model's special tokens, so they give the text's vector.
    proc = edgembed_cli.run(["tokenize", "-m", edgembed_cli.MODEL, "--no-special"], stdin="\n".join(texts[:3]) + "\n")
    ids = [json.loads(line) for line in proc.stdout.splitlines()]
    status, _, body = server.post({"model": MODEL_NAME, "input": ids})
    assert status == 200
    np.testing.assert_allclose(np.array([decode(d) for d in body["data"]]), cli_vectors[:3], rtol=0, atol=ATOL)
    status, _, body = server.post({"model": MODEL_NAME, "input": ids[0]})  # one array of ids: one input
    assert status == 200 and len(body["data"]) == 1


def test_input_type_and_prompt_name(server, texts, cli_vectors):
    # This model stores no prompts: input_type applies the prompt of that name only where the model has one,
    # prompt_name must name one (tests/python/test_prompts.py covers models with prompts).
    status, _, body = server.post({"model": MODEL_NAME, "input": texts[:2], "input_type": "query"})
    assert status == 200
    np.testing.assert_allclose(np.array([decode(d) for d in body["data"]]), cli_vectors[:2], rtol=0, atol=ATOL)
    status, _, body = server.post({"model": MODEL_NAME, "input": texts[:2], "prompt_name": "query"})
    assert status == 400 and "unknown prompt name 'query'" in body["error"]["message"]


def test_two_models_and_their_prompts(tmp_path):
    """-m twice; input_type / prompt_name apply the prompts a model stores, as `edgembed embed --prompt-name`."""
    from test_prompts import prompted_model
    _, prompted = prompted_model(tmp_path, None)
    s = Server(models=(f"{MODEL_NAME}={edgembed_cli.MODEL}", f"e5like={prompted}"))
    try:
        sample = ["How do I embed text on a phone?", "edgembed runs on the CPU."]
        status, _, body = s.request("GET", "/v1/models")
        assert status == 200 and [m["id"] for m in json.loads(body)["data"]] == ["e5like", MODEL_NAME]
        for request, flags in (({"input_type": "query"}, ["--prompt-name", "query"]),
                               ({"input_type": "document"}, ["--prompt-name", "document"]),
                               ({"prompt_name": "query"}, ["--prompt-name", "query"]),
                               ({}, [])):
            status, _, body = s.post({"model": "e5like", "input": sample, **request}, key=None)
            assert status == 200, body
            expected = edgembed_cli.embed(sample, model=str(prompted), extra=flags)
            np.testing.assert_allclose(np.array([decode(d) for d in body["data"]]), expected, rtol=0, atol=ATOL)
        status, _, body = s.post({"model": "e5like", "input": sample, "prompt_name": "search"}, key=None)
        assert status == 400 and "'document', 'query'" in body["error"]["message"]
        status, _, body = s.post({"input": sample}, key=None)  # two models: 'model' is required
        assert status == 400 and body["error"]["param"] == "model"
    finally:
        s.kill()


def test_health_models_metrics(server):
    status, body = server.get("/health")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _, body = server.request("GET", "/v1/models", headers={"Authorization": f"Bearer {API_KEY}"})
    models = json.loads(body)
    assert status == 200 and models["object"] == "list" and models["data"][0]["id"] == MODEL_NAME
    status, body = server.get("/metrics")
    text = body.decode()
    for metric in ("edgembed_requests_total", "edgembed_inputs_total", "edgembed_tokens_total", "edgembed_queue_depth",
                   "edgembed_batch_inputs_bucket", "edgembed_request_duration_seconds_bucket"):
        assert metric in text


@pytest.mark.parametrize("payload, raw, status, param", [
    (None, b"{not json", 400, None),
    (None, b'{"input": "\xff\xfe"}', 400, None),
    (None, b"[1, 2]", 400, None),
    ({"model": MODEL_NAME}, None, 400, "input"),
    ({"model": MODEL_NAME, "input": []}, None, 400, "input"),
    ({"model": MODEL_NAME, "input": ""}, None, 400, "input"),
    ({"model": MODEL_NAME, "input": [[]]}, None, 400, "input"),
    ({"model": MODEL_NAME, "input": ["a", 3]}, None, 400, "input"),
    ({"model": MODEL_NAME, "input": [[1, -2]]}, None, 400, "input"),
    ({"model": MODEL_NAME, "input": [[1, 10 ** 9]]}, None, 400, "input"),
    ({"model": "gpt-4", "input": "a"}, None, 400, "model"),
    ({"model": MODEL_NAME, "input": "a", "encoding_format": "int8"}, None, 400, "encoding_format"),
    ({"model": MODEL_NAME, "input": "a", "dimensions": 0}, None, 400, "dimensions"),
    ({"model": MODEL_NAME, "input": "a", "dimensions": 385}, None, 400, "dimensions"),
    ({"model": MODEL_NAME, "input": "a", "dimensions": 1.5}, None, 400, "dimensions"),
    ({"model": MODEL_NAME, "input": "a", "input_type": "image"}, None, 400, "input_type"),
    ({"model": MODEL_NAME, "input": ["a"] * 513}, None, 413, "input"),
    (None, b'{"input": "' + b"a" * 1_100_000 + b'"}', 413, None),
])
def test_bad_requests_get_an_error_object(server, payload, raw, status, param):
    got, _, body = server.post(payload, raw=raw)
    assert got == status, body
    assert set(body["error"]) >= {"message", "type", "param", "code"} and body["error"]["message"]
    if param:
        assert body["error"]["param"] == param
    assert server.get("/health")[0] == 200


def test_api_key_required(server):
    for key in (None, "wrong"):
        status, _, body = server.post({"model": MODEL_NAME, "input": "a"}, key=key)
        assert status == 401 and body["error"]["type"] == "authentication_error"
    status, _, _ = server.request("GET", "/nothing")
    assert status == 404


def test_killed_clients_leave_the_server_serving(server):
    body = json.dumps({"model": MODEL_NAME, "input": ["a sentence"] * 20}).encode()
    head = (f"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {API_KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    for cut in (len(head) // 2, len(head) + len(body) // 2, len(head) + len(body)):
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall((head + body)[:cut])
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
            s.close()
    status, _, reply = server.post({"model": MODEL_NAME, "input": "still here"})
    assert status == 200 and len(reply["data"]) == 1


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q))


def test_load_concurrent_clients_lose_nothing(server, texts, cli_vectors):
    """64 clients on keep-alive connections, 1-4 texts per request, base64; every answer checked."""
    rng = np.random.default_rng(0)
    plan = [rng.choice(len(texts) - 2, size=int(rng.integers(1, 5)), replace=False).tolist() for _ in range(LOAD_REQUESTS)]
    next_request = iter(range(LOAD_REQUESTS))
    lock = threading.Lock()
    latencies, failures, done, retries = [], [], [0], [0]
    deadline = time.monotonic() + LOAD_SECONDS

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"}
        while time.monotonic() < deadline:
            with lock:
                i = next(next_request, None)
            if i is None:
                break
            idx = plan[i]
            payload = json.dumps({"model": MODEL_NAME, "input": [texts[j] for j in idx], "encoding_format": "base64"})
            t0 = time.perf_counter()
            for attempt in range(2):
                try:
                    conn.request("POST", "/v1/embeddings", body=payload, headers=headers)
                    r = conn.getresponse()
                    body = r.read()
                    break
                except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as e:
                    # A kept-alive connection the server closed as the request went out (what HTTP clients
                    # retry once on a fresh connection); counted and printed.
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                    if attempt == 1:
                        failures.append(f"request {i}: {e!r}")
                    with lock:
                        retries[0] += 1
            else:
                continue
            elapsed = time.perf_counter() - t0
            if r.status != 200:
                failures.append(f"request {i}: {r.status} {body[:200]!r}")
                continue
            got = np.array([decode(d) for d in sorted(json.loads(body)["data"], key=lambda d: d["index"])])
            if got.shape != (len(idx), cli_vectors.shape[1]) or np.abs(got - cli_vectors[idx]).max() > ATOL:
                failures.append(f"request {i}: vectors differ from the CLI's")
            with lock:
                latencies.append(elapsed)
                done[0] += len(idx)
        conn.close()

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        for f in [pool.submit(worker) for _ in range(CLIENTS)]:
            f.result()
    seconds = time.perf_counter() - t0
    assert not failures, failures[:5]
    # All LOAD_REQUESTS on a quiet 2-core machine (about 20 s); a busy host stops at the deadline instead.
    assert len(latencies) >= min(LOAD_REQUESTS, 200), f"only {len(latencies)} requests in {LOAD_SECONDS} s"

    # The CLI on the same sentences (the requests draw from them uniformly), same batch size, timed around
    # the whole command in the cli_vectors fixture.
    server_rate, cli_rate = done[0] / seconds, (len(texts) - 2) / CLI_SECONDS["sentences"]
    print(f"\nload: {len(latencies)} requests, {done[0]} texts from {CLIENTS} clients in {seconds:.1f} s: "
          f"{server_rate:.0f} texts/s; latency p50 {1e3 * percentile(latencies, 50):.1f} ms, "
          f"p99 {1e3 * percentile(latencies, 99):.1f} ms; edgembed embed (the same sentences, batch 32, model load included): "
          f"{cli_rate:.0f} texts/s; ratio {server_rate / cli_rate:.2f}; {retries[0]} reconnects")
    assert server_rate > 0.2 * cli_rate  # a loose sanity check; timing is reported, not asserted
    status, body = server.get("/metrics")
    assert 'edgembed_requests_total{route="/v1/embeddings",code="200"}' in body.decode()


def test_full_queue_answers_429_then_sigterm_finishes_in_flight():
    s = Server("--max-queue", "8", "--batch-size", "8", "--threads", "1")
    try:
        long_text = "tokens " * 250
        payload = {"model": MODEL_NAME, "input": [long_text] * 8}
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(lambda _: s.request("POST", "/v1/embeddings", json.dumps(payload).encode(),
                                                        {"Content-Type": "application/json"}), range(12)))
        codes = [status for status, _, _ in results]
        assert set(codes) <= {200, 429} and 200 in codes and 429 in codes, codes
        for status, headers, body in results:
            if status == 429:
                assert headers.get("Retry-After") == "1" and json.loads(body)["error"]["type"] == "rate_limit_error"
        assert s.get("/health")[0] == 200

        # SIGTERM while a request is in flight: it is answered, then the server exits 0.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(s.request, "POST", "/v1/embeddings", json.dumps(payload).encode(),
                                    {"Content-Type": "application/json"})
            time.sleep(0.3)
            s.proc.send_signal(signal.SIGTERM)
            status, _, body = in_flight.result(timeout=60)
        assert status == 200 and len(json.loads(body)["data"]) == 8
        assert s.proc.wait(timeout=30) == 0
        with pytest.raises(OSError):
            s.get("/health")
    finally:
        s.kill()
