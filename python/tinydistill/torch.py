"""PyTorch helpers: the sparse KD loss the Swift trainer uses, on tensors (any device, autograd)."""
from typing import Optional

import torch
import torch.nn.functional as F

from ._lib import InvalidArgumentError


def sparse_kd_loss(logits: torch.Tensor, indices: torch.Tensor, values: torch.Tensor, num_classes: Optional[int] = None,
                   temperature: float = 1.0) -> torch.Tensor:
    """The TinyViT sparse distillation loss: soft-target cross-entropy against the dense target that
    (indices, values) stand for (the stored top-K at their classes, the uniform remainder
    (1 - sum values) / (C - K), clamped at 0, elsewhere), averaged over rows. At temperature T != 1
    both sides are softened and the loss is scaled by T^2. Equal to the Swift trainer's loss (checked
    against `tinydistill.core_sparse_kd_loss` by the tests). logits [n, C] (float), indices [n, K] (int64,
    as Batch.torch() gives them; other integer dtypes are converted), values [n, K]; returns a scalar
    tensor. A wrong argument raises tinydistill.InvalidArgumentError (a TinyDistillError and a ValueError)."""
    if logits.dim() != 2 or indices.dim() != 2 or indices.shape != values.shape or indices.shape[0] != logits.shape[0]:
        raise InvalidArgumentError(f"logits {tuple(logits.shape)}, indices {tuple(indices.shape)}, values "
                                   f"{tuple(values.shape)}: need [n, C] and [n, K]")
    c = logits.shape[1] if num_classes is None else int(num_classes)
    if logits.shape[1] != c:
        raise InvalidArgumentError(f"logits have {logits.shape[1]} classes, num_classes is {c}")
    indices = indices.to(device=logits.device, dtype=torch.int64)
    values = values.to(device=logits.device, dtype=logits.dtype)
    n, k = indices.shape
    logp = F.log_softmax(logits / temperature, dim=1)
    if k < c:
        fill = ((1.0 - values.sum(1, keepdim=True)) / float(c - k)).clamp_min(0.0)
    else:
        fill = torch.zeros(n, 1, dtype=logits.dtype, device=logits.device)
    if temperature == 1.0:
        picked = logp.gather(1, indices)
        rest = logp.sum(1, keepdim=True) - picked.sum(1, keepdim=True)
        return -((values * picked).sum(1, keepdim=True) + fill * rest).mean()
    target = fill.expand(n, c).clone().scatter_(1, indices, values.clamp_min(0.0))
    tempered = torch.softmax(torch.log(target) / temperature, dim=1)
    return -(tempered * logp).sum(1).mean() * (temperature * temperature)
