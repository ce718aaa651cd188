#!/usr/bin/python3
"""Precompute a TinyDistill store with any PyTorch teacher, on any device.

    python3 examples/precompute_pytorch.py --data fashion-mnist:train --out fm.tdstore \
        --torchscript teacher.pt --policy examples/policy-fashion-mnist.json --topk 5 --epochs 4 --device cuda

The teacher is a TorchScript file (--torchscript) or any nn.Module built by a Python callable
(--model package.module:function, with --weights for a state_dict file): a timm or Hugging Face model,
an ensemble. TinyDistill hands out augmented batches (the images the student will see, replayed from
each record's seed); the teacher's logits go back into the store, whose softmax and top-K are exactly
precompute's. Re-running the same command resumes an interrupted store; Ctrl-C stops within a batch,
keeps every record written and exits 130. The store records the teacher as "caller:NAME" with the
SHA-256 of its weights, which `tinydistill verify` reports. With torchrun (RANK/WORLD_SIZE), each
process writes its own shard; pass --out with a {rank} placeholder.
"""
import argparse
import hashlib
import importlib
import json
import sys
import time

import torch

import tinydistill


def weights_digest(model):
    """SHA-256 over the state_dict (names and raw tensor bytes, in name order)."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return "sha256:" + h.hexdigest()


def load_teacher(args):
    if args.torchscript:
        return torch.jit.load(args.torchscript, map_location="cpu"), args.name or args.torchscript.split("/")[-1]
    module, _, fn = args.model.partition(":")
    model = getattr(importlib.import_module(module), fn)()
    if args.weights:
        model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    return model, args.name or args.model


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--torchscript", help="a TorchScript teacher file")
    src.add_argument("--model", help="package.module:function returning an nn.Module")
    p.add_argument("--weights", help="a state_dict file for --model")
    p.add_argument("--name", help="the teacher's name in the store (default: the file or callable)")
    p.add_argument("--num-classes", type=int, required=True, help="the teacher's output classes")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--policy")
    p.add_argument("--topk", type=int, required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--codec", default="fp16", choices=["fp16", "q8"])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2, help="TinyDistill's decode/augment threads")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    p.add_argument("--amp", action="store_true", help="run the teacher under autocast (float16 on CUDA, bfloat16 on CPU)")
    args = p.parse_args()

    device = torch.device(args.device)
    model, name = load_teacher(args)
    model = model.to(device).eval()
    stage_args = dict(data=args.data, policy=args.policy, topk=args.topk, epochs=args.epochs, seed=args.seed,
                      codec=args.codec, batch_size=args.batch, threads=args.threads)
    info = {"name": name, "digest": weights_digest(model), "num_classes": args.num_classes}
    out = args.out.format(rank=tinydistill._distributed.rank_and_world()[0])
    amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    start, done, stage = time.time(), 0, None
    try:
        with tinydistill.TeacherStage(out, teacher_info=info, **stage_args) as stage:
            total = len(stage)
            for batch in stage:
                x = batch.torch(device, pin_memory=device.type == "cuda")
                with torch.no_grad(), torch.autocast(device.type, dtype=amp_dtype, enabled=args.amp):
                    logits = model(x)
                stage.write(batch, logits=logits.float())
                done += len(batch)
                print(f"\rprecompute {done}/{total} ({done / max(time.time() - start, 1e-9):.0f} img/s)", end="", file=sys.stderr)
        print(file=sys.stderr)
    except KeyboardInterrupt:
        kept = stage.summary["recordsWritten"] if stage is not None and stage.summary else 0
        print(f"\ninterrupted: {kept} records kept; run the same command "
              "to resume", file=sys.stderr)
        sys.exit(130)
    except tinydistill.TinyDistillError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2 if isinstance(e, tinydistill.InvalidArgumentError) else 1)
    print(json.dumps(stage.summary, sort_keys=True))


if __name__ == "__main__":
    main()
