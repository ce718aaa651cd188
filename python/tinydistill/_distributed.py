"""Rank and world: from torch.distributed when it is initialised, else the environment, else 0 and 1."""
import os
import sys
from typing import Optional, Tuple


def rank_and_world(rank: Optional[int] = None, world: Optional[int] = None) -> Tuple[int, int]:
    if rank is not None and world is not None:
        return int(rank), int(world)
    r, w = 0, 1
    try:
        # A process group exists only where torch.distributed was imported: never import torch just to ask.
        dist = sys.modules.get("torch.distributed")
        if dist is not None and dist.is_available() and dist.is_initialized():
            r, w = dist.get_rank(), dist.get_world_size()
        else:
            raise ImportError
    except ImportError:
        r = int(os.environ.get("RANK", os.environ.get("SLURM_PROCID", 0)))
        w = int(os.environ.get("WORLD_SIZE", os.environ.get("SLURM_NTASKS", 1)))
    return (r if rank is None else int(rank)), (w if world is None else int(world))
