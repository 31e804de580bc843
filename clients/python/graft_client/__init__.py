"""Graft's Python client: :class:`GraftClient` for the HTTP API (standard library only, streams
files both ways) and, for a live ``torch.nn.Module``, :func:`describe` and :func:`warm_start`."""

from .client import GraftClient, GraftError, sha256_of
from .torch_helpers import WarmStartFailed, describe, upload_or_reuse, warm_start

__all__ = ["GraftClient", "GraftError", "WarmStartFailed", "describe", "sha256_of",
           "upload_or_reuse", "warm_start"]
