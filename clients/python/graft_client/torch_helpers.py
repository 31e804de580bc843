"""Helpers for orchestrators that hold a live ``torch.nn.Module``.

``describe(model)`` turns the model into Graft's JSON architecture descriptor, so nobody has to
upload a full fresh state dict just to describe a layout; ``warm_start(...)`` does the whole flow
(upload or reuse the checkpoint by SHA-256, describe, preview, run, wait) and returns the version.
"""

import math
import os

from .client import GraftError, sha256_of

_CONV_LIKE = ("Linear", "NonDynamicallyQuantizableLinear", "Bilinear", "Conv1d", "Conv2d",
              "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyLinear")
_NORMS = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "InstanceNorm1d",
          "InstanceNorm2d", "InstanceNorm3d", "LayerNorm", "GroupNorm", "LocalResponseNorm")


class WarmStartFailed(Exception):
    """A warm start whose preview or run failed: ``report`` is Graft's report (with PyTorch's
    error text in ``report["error"]`` when strict loading failed), ``run`` the run, if any."""

    def __init__(self, message, report=None, run=None):
        super().__init__(message)
        self.report = report
        self.run = run


def _dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def _fan_in(weight_shape):
    if len(weight_shape) < 2:
        return weight_shape[0] if weight_shape else 0
    receptive = 1
    for s in weight_shape[2:]:
        receptive *= s
    return weight_shape[1] * receptive


def _default_init(module, parent, name, tensor, siblings):
    """PyTorch's default init of ``module``'s own ``name`` (its reset_parameters), in Graft's
    scheme names; None where it is not one Graft can reproduce (Graft then applies its own
    default: kaiming_uniform for floating-point parameters of rank 2 or more, zeros otherwise)."""
    kind = type(module).__name__
    parent_kind = type(parent).__name__ if parent is not None else None
    if kind in _CONV_LIKE:
        if name == "weight":
            return {"scheme": "kaiming_uniform", "a": math.sqrt(5)}
        if name == "bias":
            if parent_kind == "MultiheadAttention":
                return {"scheme": "zeros"}  # MultiheadAttention._reset_parameters
            weight = siblings.get("weight")
            fan_in = _fan_in(list(weight.shape)) if weight is not None else 0
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            return {"scheme": "uniform", "a": -bound, "b": bound}
    if kind in _NORMS:
        if name in ("weight", "running_var"):
            return {"scheme": "ones"}
        if name in ("bias", "running_mean", "num_batches_tracked"):
            return {"scheme": "zeros"}
    if kind == "Embedding" and name == "weight" and getattr(module, "padding_idx", None) is None:
        return {"scheme": "normal", "mean": 0.0, "std": 1.0}
    if kind == "MultiheadAttention":
        if name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            return {"scheme": "xavier_uniform", "gain": 1.0}
        if name == "in_proj_bias":
            return {"scheme": "zeros"}
    return None


def describe(model, name=None):
    """Graft's JSON architecture descriptor of a live ``torch.nn.Module``: one entry per
    ``state_dict()`` key, in its order, with dtype, shape, PARAMETER or BUFFER, requiresGrad,
    and PyTorch's default init scheme for the layer types it knows (Linear, Conv, norms,
    Embedding, MultiheadAttention). No tensor data is read or sent."""
    import torch

    state = model.state_dict(keep_vars=True)
    owners = {}
    for module_name, module in model.named_modules(remove_duplicate=False):
        own = dict(module.named_parameters(recurse=False))
        own.update(dict(module.named_buffers(recurse=False)))
        parent_name = module_name.rpartition(".")[0] if module_name else None
        for local, tensor in own.items():
            key = module_name + "." + local if module_name else local
            owners.setdefault(key, (module, parent_name, local, own))
    modules = dict(model.named_modules(remove_duplicate=False))
    entries = []
    for key, tensor in state.items():
        is_parameter = isinstance(tensor, torch.nn.Parameter)
        entry = {
            "key": key,
            "dtype": _dtype_name(tensor.dtype),
            "shape": list(tensor.shape),
            "kind": "PARAMETER" if is_parameter else "BUFFER",
            "requiresGrad": bool(is_parameter and tensor.requires_grad),
        }
        owner = owners.get(key)
        if owner is not None:
            module, parent_name, local, siblings = owner
            parent = modules.get(parent_name) if parent_name is not None else None
            init = _default_init(module, parent, local, tensor, siblings)
            if init is not None:
                entry["init"] = init
        entries.append(entry)
    return {"name": name or type(model).__name__, "entries": entries}


def upload_or_reuse(client, checkpoint):
    """The stored checkpoint with this file's bytes (found by SHA-256), or the file uploaded."""
    found = client.find_checkpoint(sha256_of(checkpoint))
    return found if found is not None else client.upload_checkpoint(checkpoint)


def warm_start(client, checkpoint, model, options=None, output=None, progress=None,
               timeout=3600):
    """Warm-starts ``model``'s architecture from the checkpoint file ``checkpoint``: uploads it,
    or reuses the stored copy with the same SHA-256; describes ``model``; previews (a failed
    preview raises WarmStartFailed without queueing anything); runs; waits, with a progress bar
    when stderr is a terminal (or as ``progress`` says). ``output`` is the run's output
    (``{"model": NAME, "formats": [...], "description", "tags", "aliases"}``). Returns the
    ModelVersion the run registered."""
    if not output or "model" not in output:
        raise ValueError('output must name the model: {"model": "...", ...}')
    stored = upload_or_reuse(client, os.fspath(checkpoint))
    architecture = client.create_architecture(describe(model, name=output["model"]))
    report = client.create_preview(stored["id"], architecture["id"], options)
    if report["outcome"] != "OK":
        raise WarmStartFailed("preview failed: %s" % report.get("error"), report=report)
    run = client.start_warm_start(stored["id"], architecture["id"], output, options)
    run = client.wait(run["id"], timeout=timeout, progress=progress)
    if run["status"] != "SUCCEEDED":
        try:
            report = client.get_warm_start_report(run["id"])
        except GraftError:
            pass
        raise WarmStartFailed("run %s ended %s: %s" % (run["id"], run["status"], run.get("error")),
                              report=report, run=run)
    ref = run["modelVersion"]
    return client.get_model_version(ref["model"], ref["version"])
