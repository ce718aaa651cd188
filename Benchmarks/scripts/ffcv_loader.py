#!/usr/bin/env python3
"""FFCV 1.0.2's ImageNet train pipeline (RandomResizedCrop 224 straight from the JPEG, flip, to a
normalised float32 tensor) over the same ImageFolder, for Benchmarks/scripts/loader-limit.sh.

    VENV/bin/python Benchmarks/scripts/ffcv_loader.py JPEG_FOLDER BETON MAX_SIDE WORKERS BATCH EPOCHS

MAX_SIDE 0 keeps the original sizes (FFCV re-encodes every image as JPEG, quality 90); otherwise images
are pre-resized so their longer side is MAX_SIDE, as `tinydistill pack --max-side`. The .beton file is
written once. The first epoch (numba compiles the pipeline) is timed apart; the JSON line reports the
mean of the others.
"""
import json
import os
import sys
import time

import numpy as np
import torchvision
from ffcv.fields import IntField, RGBImageField
from ffcv.fields.decoders import IntDecoder, RandomResizedCropRGBImageDecoder
from ffcv.loader import Loader, OrderOption
from ffcv.transforms import NormalizeImage, RandomHorizontalFlip, Squeeze, ToTensor, ToTorchImage
from ffcv.writer import DatasetWriter

root, beton, max_side, workers, batch, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5]), int(sys.argv[6])
write_seconds = None
if not os.path.exists(beton):
    t = time.time()
    fields = {"image": RGBImageField(write_mode="jpg", max_resolution=max_side or None, jpeg_quality=90), "label": IntField()}
    DatasetWriter(beton + ".tmp", fields, num_workers=workers).from_indexed_dataset(torchvision.datasets.ImageFolder(root))
    os.rename(beton + ".tmp", beton)
    write_seconds = time.time() - t

mean = np.array([0.485, 0.456, 0.406]) * 255
std = np.array([0.229, 0.224, 0.225]) * 255
# NormalizeImage goes before ToTensor: on the CPU it is a numba (jitted) op, and FFCV 1.0.2's
# Graph.group_operations never empties `next_front` (`current_front = next_front` makes them one set),
# so a jitted op after the non-jitted ToTensor/ToTorchImage sends it round forever: the Loader never
# starts. With every jitted op first the pipeline compiles; the result is the same normalised float32
# images, channels last, as a torch NCHW view.
pipelines = {
    "image": [RandomResizedCropRGBImageDecoder((224, 224)), RandomHorizontalFlip(), NormalizeImage(mean, std, np.float32),
              ToTensor(), ToTorchImage()],
    "label": [IntDecoder(), ToTensor(), Squeeze()],
}
t = time.time()
loader = Loader(beton, batch_size=batch, num_workers=workers, order=OrderOption.RANDOM, drop_last=True, pipelines=pipelines,
                os_cache=True)
setup_seconds = time.time() - t
times, n = [], 0
for epoch in range(epochs + 1):
    t, n = time.time(), 0
    for images, labels in loader:
        n += images.shape[0]
    times.append(time.time() - t)
steady = times[1:]
print(json.dumps({"implementation": "ffcv-1.0.2", "max_side": max_side, "images": n * len(steady), "seconds": sum(steady),
                  "images_per_s": n * len(steady) / sum(steady), "first_epoch_seconds": times[0], "setup_seconds": setup_seconds,
                  "write_seconds": write_seconds, "beton_bytes": os.path.getsize(beton), "workers": workers, "batch": batch,
                  "dtype": str(images.dtype), "shape": list(images.shape)}, sort_keys=True))
