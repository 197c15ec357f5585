"""rag/openmp.py: OpenMP's wait policy and thread count are filled in when `rag` is imported, unless set."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rag.errors import ConfigError
from rag.openmp import BLAS_THREADS, DEFAULT_SPINCOUNT, DEFAULT_THREADS, configure
from rag.settings import Settings


def test_configure_fills_in_the_measured_spin_count_and_thread_count() -> None:
    env: dict[str, str] = {}
    configure(env)
    assert env == {"GOMP_SPINCOUNT": str(DEFAULT_SPINCOUNT), "OMP_NUM_THREADS": str(DEFAULT_THREADS),
                   "OPENBLAS_NUM_THREADS": str(BLAS_THREADS)}


def test_rag_settings_choose_the_values() -> None:
    env = {"RAG_OMP_SPINCOUNT": "50", "RAG_THREADS": "1"}
    configure(env)
    assert (env["GOMP_SPINCOUNT"], env["OMP_NUM_THREADS"]) == ("50", "1")


@pytest.mark.parametrize("own", [{"GOMP_SPINCOUNT": "7"}, {"OMP_WAIT_POLICY": "PASSIVE"}])
def test_openmps_own_variables_win_over_ours(own: dict[str, str]) -> None:
    env = {**own, "RAG_OMP_SPINCOUNT": "50", "OMP_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "2"}
    configure(env)
    assert env == {**own, "RAG_OMP_SPINCOUNT": "50", "OMP_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "2"}


def _fresh(env: dict[str, str], code: str = "import os, rag; print(os.environ.get('GOMP_SPINCOUNT'), "
                                                 "os.environ.get('OMP_NUM_THREADS'))") -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "GOMP_", "OMP_", "OPENBLAS_"))}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          check=True).stdout.strip()


# numpy's BLAS libraries' thread counts (faiss's own OpenBLAS is not numpy's: it follows OpenMP's count)
NUMPY_BLAS = ("import numpy, threadpoolctl; print(sorted({i['num_threads'] for i in threadpoolctl.threadpool_info() "
              "if i['user_api'] == 'blas' and 'numpy' in i['filepath']}))")


@pytest.mark.parametrize("first", ["import rag; ", "import numpy; import rag; "])
def test_numpys_blas_runs_on_one_thread_whether_numpy_or_rag_was_imported_first(first: str) -> None:
    assert _fresh({}, first + NUMPY_BLAS) == f"[{BLAS_THREADS}]"
    assert _fresh({"OPENBLAS_NUM_THREADS": "2"}, first + NUMPY_BLAS) == "[2]"  # the operator's count wins


def test_importing_rag_applies_the_policy_in_a_fresh_process() -> None:
    assert _fresh({}) == f"{DEFAULT_SPINCOUNT} {DEFAULT_THREADS}"
    assert _fresh({"RAG_OMP_SPINCOUNT": "20000"}) == f"20000 {DEFAULT_THREADS}"
    assert _fresh({"OMP_WAIT_POLICY": "passive"}) == f"None {DEFAULT_THREADS}"


def test_settings_validate_the_openmp_values() -> None:
    assert Settings.from_env({"RAG_OMP_SPINCOUNT": "3000"}).omp_spincount == 3000
    with pytest.raises(ConfigError):
        Settings.from_env({"RAG_OMP_SPINCOUNT": "-1"})
    with pytest.raises(ConfigError):
        Settings.from_env({"RAG_THREADS": "0"})
