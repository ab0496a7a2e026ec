"""hearth never reaches the network on its own: no downloads, no telemetry, no update checks.

Some libraries it loads (ctransformers pulls in huggingface_hub) can fetch files when asked for a
model by name; these variables make them refuse even if some code path asked. The only network
use is a LAN inference server the user configures explicitly.
"""

from __future__ import annotations

import os

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "LLAMA_OFFLINE": "1",  # llama.cpp's switch for its own model-download paths
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline_environment() -> None:
    for key, value in OFFLINE_ENVIRONMENT.items():
        os.environ[key] = value
