"""Ghost text as a Neovim user sees it: milliseconds from entering Insert mode to the suggestion
drawn in the buffer, in headless Neovim 0.12 with the plugin from editors/nvim and the real
server (Neovim's own 200 ms debounce included). Default model: the embedded Gemma 3 270M.

    .venv/bin/python -m scripts.bench_editors [--model FILE] [--rounds N] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from lsp_server.models import embedded_model_path
from tests.editors.conftest import NVIM_012, run_nvim


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="GGUF file (default: the embedded model)")
    parser.add_argument("--rounds", type=int, default=4, help="times over the 5 sample lines")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if not NVIM_012.is_file():
        print(f"Neovim 0.12 is not installed at {NVIM_012} (make install)", file=sys.stderr)
        return 1
    os.environ.update(HEARTH_ROUNDS=str(args.rounds), HEARTH_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or embedded_model_path()
        run = run_nvim(NVIM_012, "bench_ghost", model, Path(tmp), timeout=900)
    if not run.ok:
        print(run.report, file=sys.stderr)
        return 1
    times = sorted(float(t) for t in run.facts["times"])
    p90 = times[min(len(times) - 1, round(0.9 * (len(times) - 1)))]
    print(f"Insert mode → ghost text shown (Neovim 0.12, {len(times)} samples, "
          f"threads={args.threads}): median {statistics.median(times):.0f} ms, "
          f"p90 {p90:.0f} ms, min {times[0]:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
