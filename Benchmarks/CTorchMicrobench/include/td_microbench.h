/*
 * td_microbench.h: micro-benchmarks of EfficientFormer's four latency observations on this CPU
 * ("EfficientFormer: Vision Transformers at MobileNet Speed", Li et al. 2022, section 3), run through
 * libtorch in float32, eval mode, inference mode. Used by Benchmarks/LatencyObservations.
 *
 * Observations and their cases (C channels, H×W spatial size, MLP hidden width 4C):
 *   1  patch embedding: one 16×16 stride-16 conv vs stacked 3×3 stride-2 Conv-BN-ReLU stems (224×224 input)
 *   2  a Meta4D block (pool(x) − x mixer, 1×1-conv MLP) kept in NCHW vs the same block with 4D↔3D reshapes
 *   3  Conv-BN MLP (BN folded into the 1×1 convs, and unfolded) vs LayerNorm + Linear MLP on tokens
 *   4  GELU vs ReLU, alone on activation tensors and inside the folded 1×1-conv MLP
 *
 * Conventions as td_torch.h: functions return TD_OK or a TD_ERR_* code with the message in td_last_error().
 */
#ifndef TD_MICROBENCH_H
#define TD_MICROBENCH_H

#include <stdint.h>

#include "td_torch.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Number of micro-benchmark cases. */
int32_t td_microbench_count(void);

/**
 * Describes case `index` (0 ..< td_microbench_count()). Any out-parameter may be NULL. Strings are static.
 * `observation` is 1–4; `macs_per_sample` counts the multiply-accumulates of the convolutions and linear
 * layers for one sample (0 for elementwise cases). TD_ERR_INVALID_ARGUMENT for an index out of range.
 */
int32_t td_microbench_describe(int32_t index, const char **name, int32_t *observation, const char **description,
                               int64_t *macs_per_sample);

/**
 * Builds case `case_name` for `batch` samples (seeded weights, BN with non-trivial running statistics, folded
 * convolutions checked against Conv+BN), sets libtorch's intra-op threads to `threads` (process-wide), runs
 * `warmup` untimed and `iterations` timed forward passes under c10::InferenceMode and writes the median and
 * minimum wall time of one pass in milliseconds. TD_ERR_NOT_FOUND for an unknown case,
 * TD_ERR_INVALID_ARGUMENT for non-positive batch, threads or iterations, TD_ERR_TORCH if a numerical
 * equivalence check fails or libtorch raises.
 */
int32_t td_microbench_run(const char *case_name, int64_t batch, int32_t threads, int32_t warmup, int32_t iterations,
                          double *median_ms, double *min_ms);

/** libtorch's version, parallel backend and oneDNN state, one line per item (static string). */
const char *td_microbench_environment(void);

#ifdef __cplusplus
}
#endif

#endif
