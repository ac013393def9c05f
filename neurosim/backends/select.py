"""Choose a backend by name: ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available)."""
from __future__ import annotations

import warnings

from ..errors import BackendUnavailableError, SpecError

_said_auto = False


def cuda_available() -> tuple[bool, str]:
    """(available, reason) for the CUDA backend, without importing it when not installed."""
    try:
        from numba import cuda  # numba-cuda provides numba.cuda
    except Exception as exc:  # pragma: no cover - depends on the install
        return False, f"numba.cuda cannot be imported ({exc}); install neurosim[cuda]"
    try:
        if not cuda.is_available():
            return False, "no CUDA GPU or driver found (numba.cuda.is_available() is False)"
    except Exception as exc:  # pragma: no cover
        return False, f"CUDA check failed: {exc}"
    try:
        from .cuda import CUDABackend  # noqa: F401
    except ImportError as exc:
        return False, f"the CUDA backend is not available in this build ({exc})"
    return True, ""


def make_backend(name: str):
    global _said_auto
    if name not in ("cpu", "cuda", "auto"):
        raise SpecError(f"backend must be 'cpu', 'cuda' or 'auto', got {name!r}")
    if name == "cpu":
        from .cpu import CPUBackend
        return CPUBackend()
    ok, why = cuda_available()
    if name == "cuda":
        if not ok:
            raise BackendUnavailableError(f"backend='cuda' is unavailable: {why}")
        from .cuda import CUDABackend
        return CUDABackend()
    if ok:
        from .cuda import CUDABackend
        chosen = CUDABackend()
    else:
        from .cpu import CPUBackend
        chosen = CPUBackend()
    if not _said_auto:
        warnings.warn(f"backend='auto' selected {chosen.name}" + (f" ({why})" if not ok else ""), stacklevel=3)
        _said_auto = True
    return chosen
