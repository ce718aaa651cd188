#!/usr/bin/python3
"""Train a PyTorch student from a TinyDistill store: sparse soft targets, no teacher online, DDP, resume.

    # one process
    python3 examples/train_pytorch.py --store fm.tdstore --data fashion-mnist:train --epochs 4 --out run/
    # two processes (gloo on CPU; nccl when --device cuda)
    torchrun --nproc_per_node 2 examples/train_pytorch.py --store fm.tdstore --data fashion-mnist:train --out run/

Each rank reads its own disjoint share of every epoch through tinydistill.Loader (the same batches
`tinydistill train` sees), trains with tinydistill.torch.sparse_kd_loss, and DDP averages the gradients.
Rank 0 writes run/checkpoint.pt (model, optimizer, loader position) every --checkpoint-every steps and at
each epoch's end; re-running the same command resumes from it with exactly the remaining batches.
SIGINT/SIGTERM stop after the current step with a checkpoint (exit 130). The student here is a small CNN;
use your own nn.Module in its place.
"""
import argparse
import datetime
import json
import os
import signal
import sys

import torch
import torch.distributed as dist
import torch.nn as nn

import tinydistill
from tinydistill.torch import sparse_kd_loss


class SmallCNN(nn.Module):
    def __init__(self, channels, classes, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            nn.Flatten(), nn.Linear(2 * width, classes))

    def forward(self, x):
        return self.net(x)


stop = False


def ask_to_stop(*_):
    global stop
    stop = True


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store", required=True, nargs="+")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="folder for checkpoint.pt and log.jsonl")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=64, help="rows per rank per step")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-workers", type=int, default=2, help="TinyDistill's threads rendering each batch")
    p.add_argument("--device", default="cpu")
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--stop-after", type=int, help="stop (with a checkpoint) after this many steps of this run")
    p.add_argument("--log-samples", help="write each rank's sample ids per epoch into this folder")
    args = p.parse_args()
    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)

    device = torch.device(args.device)
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=datetime.timedelta(seconds=120))
    rank = dist.get_rank() if world > 1 else 0
    torch.manual_seed(args.seed)
    loader = tinydistill.Loader(args.store, args.data, batch_size=args.batch, num_workers=args.num_workers, seed=args.seed)
    model = SmallCNN(loader.info["channels"], loader.num_classes).to(device)
    ddp = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "checkpoint.pt")
    step = 0
    if os.path.exists(path):
        state = torch.load(path, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        loader.load_state_dict(state["loader"])
        step = state["step"]
        if rank == 0:
            print(f"resumed at epoch {loader.epoch}, position {loader.position}, step {step}", file=sys.stderr)

    def save():
        if rank != 0:
            return
        tmp = path + ".next"
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "loader": loader.state_dict(),
                    "step": step}, tmp)
        os.replace(tmp, path)

    steps_this_run = 0
    start_epoch = loader.epoch
    for epoch in range(start_epoch, args.epochs):
        if epoch != loader.epoch:
            loader.set_epoch(epoch)
        total, count = 0.0, 0
        for batch in loader:
            images, indices, values, labels = batch.torch(device)
            loss = sparse_kd_loss(ddp(images), indices, values, loader.num_classes)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            steps_this_run += 1
            total, count = total + loss.item(), count + 1
            if args.log_samples:
                with open(os.path.join(args.log_samples, f"rank{rank}-epoch{epoch}.txt"), "a") as f:
                    f.write("\n".join(map(str, batch.sample_ids.tolist())) + "\n")
            halt = stop or (args.stop_after is not None and steps_this_run >= args.stop_after)
            if world > 1:  # every rank stops at the same step
                flag = torch.tensor([1 if halt else 0])
                dist.all_reduce(flag)
                halt = bool(flag.item())
            if halt or step % args.checkpoint_every == 0:
                save()
            if halt:
                if rank == 0:
                    print(f"stopped at epoch {epoch}, step {step}; run the same command to resume", file=sys.stderr)
                sys.exit(130 if stop else 0)
        loader.set_epoch(epoch + 1)
        save()
        if rank == 0:
            line = json.dumps({"epoch": epoch, "steps": count, "train_loss": total / max(count, 1)})
            print(line)
            with open(os.path.join(args.out, "log.jsonl"), "a") as f:
                f.write(line + "\n")
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
