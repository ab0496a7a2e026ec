"""``hearth-lsp doctor`` run for real: the machine, a real model and a short measured run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lsp_server.models import sha256_of
from tests.conftest import server_env
from tests.inference_servers import LlamaServer, llama_server_binary
from tests.tiny_gguf import HEADS, HIDDEN, LAYERS


def doctor(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", "doctor", *args], capture_output=True, text=True,
        env=server_env(XDG_CONFIG_HOME=str(home / "config")), timeout=240, check=False)


def doctor_json(home: Path, *args: str) -> tuple[int, dict[str, Any]]:
    run = doctor(home, "--json", *args)
    return run.returncode, json.loads(run.stdout)


def llama_cpp_units() -> str:
    import llama_cpp

    info = llama_cpp.llama_print_system_info()
    return info.decode() if isinstance(info, bytes) else str(info)


def test_reports_machine_model_and_measured_speed(tiny_model: Path, tmp_path: Path) -> None:
    code, report = doctor_json(tmp_path, "--model", str(tiny_model), "--threads", "1",
                               "--no-team")
    assert code == 0
    machine = report["machine"]
    assert machine["logical_cores"] == os.cpu_count()
    assert machine["usable_cores"] == len(os.sched_getaffinity(0))
    # The vector units are the ones llama.cpp reports using, not /proc's flags.
    info = llama_cpp_units()
    for name in ("avx", "avx2", "fma", "avx512"):
        assert (name in machine["vector_extensions"]) == (f"{name.upper()} = 1" in info)
    assert report["capacity"] is None
    meminfo = Path("/proc/meminfo").read_text().split()
    assert machine["ram_total"] == int(meminfo[meminfo.index("MemTotal:") + 1]) * 1024
    assert machine["disk_free"] > 0

    model = report["model"]
    assert model["source"] == str(tiny_model)
    assert model["file_size"] == tiny_model.stat().st_size
    assert model["context_length"] == 4096 and model["layers"] == LAYERS
    head_dim = HIDDEN // HEADS
    assert model["kv_cache_bytes"] == LAYERS * 4096 * HEADS * 2 * head_dim * 2
    assert model["estimated_memory"] > model["file_size"] + model["kv_cache_bytes"]

    speed = report["speed"]
    assert speed["threads"] == 1
    assert speed["prompt_tokens"] >= 256 and speed["prompt_tokens_per_s"] > 0
    assert speed["generated_tokens"] > 0 and speed["generate_tokens_per_s"] > 0
    assert 0 < speed["keystroke_ms"] < 60_000
    assert report["sizes"] == []  # a 0.5 MB model says nothing about real ones
    assert any("too small to extrapolate" in line for line in report["recommendation"])


def test_embedded_model_gives_a_sizing_recommendation(tmp_path: Path, embedded_model: Path
                                                      ) -> None:
    code, report = doctor_json(tmp_path, "--threads", "1", "--no-team")
    assert code == 0
    model = report["model"]
    assert model["source"] == str(embedded_model)
    assert model["quantization"] == "Q4_K_M" and model["architecture"] == "gemma3"
    assert model["context_length"] == 32768 and model["context_size"] == 4096
    assert model["file_size"] == embedded_model.stat().st_size
    sizes = report["sizes"]
    assert len(sizes) == 5
    latencies = [s["keystroke_ms"] for s in sizes]
    assert latencies == sorted(latencies) and latencies[0] > 0
    for size in sizes:
        assert size["within_budget"] == (size["keystroke_ms"] <= 500)
    advice = " ".join(report["recommendation"])
    assert f"took {report['speed']['keystroke_ms']:.0f} ms on this machine" in advice
    served = [s for s in sizes if s["within_budget"] and s["fits_memory"]]
    if not served or served[-1]["file_size"] < 1.0e9:
        assert "A LAN inference server would serve better" in advice
    else:
        assert "Local inference is fine here" in advice


def test_how_many_developers_a_team_server_here_serves(tiny_model: Path, tmp_path: Path) -> None:
    """Simulated editors typing through hearth's HTTP engine against the built llama-server
    with the configured model, 1, 2, 4, 8 at once until the p95 passes 1 s."""
    llama_server_binary()
    code, report = doctor_json(tmp_path, "--model", str(tiny_model), "--threads", "1")
    assert code == 0, report
    capacity = report["capacity"]
    assert capacity["server"].startswith("llama-server (") and capacity["budget_ms"] == 1000
    assert capacity["note"] == "" and 1 <= capacity["slots"] <= 8
    levels = capacity["levels"]
    assert [level["editors"] for level in levels] == [1, 2, 4, 8][:len(levels)]
    for level in levels:
        assert level["answered"] > 0 and level["failed"] == 0
        # Every keystroke asked for a suggestion that was answered or cancelled by the next.
        assert level["answered"] + level["cancelled"] == level["keystrokes"]
    within = [level["editors"] for level in levels if level["p95_ms"] <= 1000]
    assert capacity["developers"] == max(within, default=0)
    advice = " ".join(report["recommendation"])
    assert (f"serves {capacity['developers']}" in advice) or "even one developer" in advice


def test_no_false_avx2_claim_without_proc(monkeypatch: pytest.MonkeyPatch,
                                          tiny_model: Path) -> None:
    """Where /proc/cpuinfo cannot be read (some containers), the vector units still come from
    llama.cpp, and nothing is claimed missing that llama.cpp uses."""
    from lsp_server import doctor
    from lsp_server.config import Settings
    from lsp_server.doctor import machine as machine_module

    monkeypatch.setattr(machine_module, "read_cpuinfo", lambda: "")
    report = doctor.run(Settings(model_path=str(tiny_model), threads=1), measure=False)
    units = report.machine.vector_extensions
    assert units == machine_module.vector_units(llama_cpp_units()) and units
    if "avx2" in units:
        assert not any("AVX2" in line for line in report.recommendation)
    # Only llama.cpp's own word counts: without its system info nothing is claimed.
    bare = replace(report.machine, vector_extensions=[], llama_cpp_build="")
    assert not any("AVX2" in line for line in doctor.recommend(
        bare, report.model, None, [], None, Settings()))
    old_build = replace(report.machine, vector_extensions=["sse3", "avx"],
                        llama_cpp_build="CPU : SSE3 = 1 | AVX = 1 |", architecture="x86_64")
    assert any("does not use AVX2" in line for line in doctor.recommend(
        old_build, report.model, None, [], None, Settings()))


def test_human_readable_report(tiny_model: Path, tmp_path: Path) -> None:
    run = doctor(tmp_path, "--model", str(tiny_model), "--threads", "1", "--no-team")
    assert run.returncode == 0, run.stderr
    for heading in ("Machine", "Model", "Measured (1 thread)", "Recommendation"):
        assert f"\n{heading}\n" in run.stdout
    assert "CPU " in run.stdout and "tokens/s" in run.stdout


def test_checksum_mismatch_is_reported_and_nothing_runs(tiny_model: Path, tmp_path: Path
                                                        ) -> None:
    config = tmp_path / "hearth.toml"
    config.write_text(f'modelPath = "{tiny_model}"\nmodelSha256 = "{"0" * 64}"\n')
    code, report = doctor_json(tmp_path, "--config", str(config))
    assert code == 1
    assert report["model"]["sha256"].startswith(
        f"MISMATCH: the file's SHA-256 is {sha256_of(tiny_model)}")
    assert report["speed"] is None
    assert any("not the one your configuration expects" in r for r in report["recommendation"])

    config.write_text(f'modelPath = "{tiny_model}"\nmodelSha256 = "{sha256_of(tiny_model)}"\n')
    code, report = doctor_json(tmp_path, "--config", str(config), "--no-measure")
    assert report["capacity"] is None
    assert code == 0 and report["model"]["sha256"] == "matches"


def test_measures_through_a_lan_server(tiny_model: Path, tmp_path: Path) -> None:
    with LlamaServer(tiny_model) as server:
        code, report = doctor_json(tmp_path, "--engine", "http", "--server-url", server.url,
                                   "--no-team")
    assert code == 0, report
    model = report["model"]
    assert model["engine"] == "http" and model["source"] == server.url
    assert model["name"] == "tiny"
    assert model["server"]["kind"] == "llama-cpp-python"
    assert model["server"]["tokenizer"] == "/extras/tokenize"
    assert report["speed"]["generate_tokens_per_s"] > 0
    assert report["sizes"] == []
    assert any("on the server" in line for line in report["recommendation"])
