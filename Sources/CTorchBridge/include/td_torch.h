/*
 * td_torch.h: the plain C interface between TinyDistill (Swift) and libtorch (C++).
 *
 * Conventions
 * - Every function that can fail returns 0 on success and a non-zero code on failure; the message is then
 *   available from td_last_error() on the same thread until the next call. No C++ exception ever crosses
 *   this boundary.
 * - Handles are opaque and owned by the caller, who frees them with the matching *_free function.
 * - Tensors cross as pointers to contiguous row-major buffers the caller owns; the bridge copies in and out.
 */
#ifndef TD_TORCH_H
#define TD_TORCH_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors and threads ---------------------------------------------------------------------------- */

/** Failure codes. */
enum {
    TD_OK = 0,
    TD_ERR_INVALID_ARGUMENT = 1, /* a shape, name, dtype or config the bridge refuses */
    TD_ERR_TORCH = 2,            /* libtorch raised an error */
    TD_ERR_NOT_FOUND = 3,        /* a tensor name the model or optimiser does not have */
    TD_ERR_UNSUPPORTED = 4,      /* the operation does not apply to this kind of model */
};

/** The message of the last failure on this thread ("" if none). */
const char *td_last_error(void);

/** Sets the number of intra-op threads libtorch uses (process-wide). */
void td_set_num_threads(int32_t threads);
/** The number of intra-op threads libtorch uses. */
int32_t td_get_num_threads(void);
/**
 * glibc only: serve large blocks from the heap instead of fresh mmap pages and keep freed memory
 * (mallopt M_MMAP_MAX = 0, M_TRIM_THRESHOLD = max), so repeated large forwards stop paying page faults.
 */
void td_keep_freed_memory(void);
/** Seeds libtorch's global generator (weight init, dropout, drop path). */
void td_manual_seed(uint64_t seed);

/* ---- dtypes ----------------------------------------------------------------------------------------- */

/** Element types that cross the boundary. */
enum {
    TD_F32 = 0,
    TD_F16 = 1,
    TD_BF16 = 2,
    TD_I64 = 3,
    TD_F64 = 4,
    TD_I32 = 5,
    TD_U8 = 6,
};

/** Bytes per element of a TD_* dtype (0 if unknown). */
int32_t td_dtype_size(int32_t dtype);

/* ---- models ----------------------------------------------------------------------------------------- */

typedef struct td_model td_model;

#define TD_MAX_STAGES 8
#define TD_MAX_DIMS 8

/** TinyViT constructor arguments, as the reference's (names and meaning). */
typedef struct {
    int32_t img_size;
    int32_t in_chans;
    int32_t num_classes;
    int32_t num_stages;
    int32_t embed_dims[TD_MAX_STAGES];
    int32_t depths[TD_MAX_STAGES];
    int32_t num_heads[TD_MAX_STAGES];
    int32_t window_sizes[TD_MAX_STAGES];
    double mlp_ratio;
    double drop_rate;
    double drop_path_rate;
    double mbconv_expand_ratio;
    int32_t local_conv_size;
} td_tinyvit_config;

/** A torchvision-style ResNet (parameter names as torchvision's). */
typedef struct {
    int32_t in_chans;
    int32_t num_classes;
    int32_t bottleneck;          /* 0: BasicBlock (ResNet-18/34), 1: Bottleneck (ResNet-50) */
    int32_t layers[4];           /* blocks per stage */
    int32_t base_width;          /* 64 for the torchvision models */
    int32_t small_input;         /* 1: 3x3 stride-1 stem without max-pool (for 28-64 px images) */
} td_resnet_config;

/** EfficientFormer v1 constructor arguments, as the reference's (four stages). */
typedef struct {
    int32_t img_size;            /* the attention bias grid is the last stage's resolution (7 at 224) */
    int32_t in_chans;
    int32_t num_classes;
    int32_t layers[4];
    int32_t embed_dims[4];
    int32_t downsamples[4];      /* 1: a stride-2 Conv-BN after stage i (i < 3) */
    double mlp_ratio;
    int32_t vit_num;             /* the last vit_num blocks of stage 3 are Meta3D (attention) */
    int32_t distillation;        /* 1: head + dist_head, output their mean */
    int32_t pool_size;
    double layer_scale_init_value;
    double drop_rate;
    double drop_path_rate;
} td_efficientformer_config;

/** Builds an EfficientFormer with the reference's initialisation, seeded by `seed`. */
int32_t td_efficientformer_create(const td_efficientformer_config *config, uint64_t seed, td_model **out);

/** Builds a TinyViT with the reference's initialisation, seeded by `seed`. */
int32_t td_tinyvit_create(const td_tinyvit_config *config, uint64_t seed, td_model **out);
/** Builds a ResNet with torchvision's initialisation, seeded by `seed`. */
int32_t td_resnet_create(const td_resnet_config *config, uint64_t seed, td_model **out);
/** Loads a TorchScript module saved by torch.jit.save (forward must take one NCHW float tensor). */
int32_t td_torchscript_load(const char *path, td_model **out);
/** Frees a model (NULL is ignored). */
void td_model_free(td_model *model);

/** Number of trainable parameter elements (buffers excluded, as the reference counts). */
int64_t td_model_parameter_count(const td_model *model);
/** Number of classes of the output, or 0 if unknown (TorchScript before its first forward). */
int64_t td_model_num_classes(const td_model *model);

/** Number of entries of the state dict (parameters and persistent buffers). */
int64_t td_model_state_count(const td_model *model);
/**
 * Describes state entry `index`: its name (valid while the model lives), dtype, rank and shape
 * (`shape` has room for TD_MAX_DIMS), and whether it is a trainable parameter.
 */
int32_t td_model_state_info(const td_model *model, int64_t index, const char **name, int32_t *dtype,
                            int32_t *ndim, int64_t *shape, int32_t *is_parameter);
/** Copies state entry `name` into `dst` (its own dtype; `nbytes` must equal its size in bytes). */
int32_t td_model_state_read(const td_model *model, const char *name, void *dst, int64_t nbytes);
/**
 * Overwrites state entry `name` from `src` of dtype `dtype` and the given shape, which must equal the
 * entry's; values are converted to the entry's dtype.
 */
int32_t td_model_state_write(td_model *model, const char *name, int32_t dtype, int32_t ndim,
                             const int64_t *shape, const void *src);

/** Train mode (1: BatchNorm batch statistics, drop path active) or eval mode (0). */
int32_t td_model_set_training(td_model *model, int32_t training);

/**
 * Fused inference (1) or not (0): every BatchNorm that follows a convolution is folded into it and
 * gathered attention biases are cached, for eval-mode forwards only (training mode always runs the
 * unfused graph, and the state dict keeps its unfused names and values). The folded tensors are rebuilt
 * automatically when weights or statistics change. TD_ERR_UNSUPPORTED for TorchScript modules.
 */
int32_t td_model_set_fused(td_model *model, int32_t fused);
/** Whether eval forwards run fused (1) or not (0). */
int32_t td_model_is_fused(const td_model *model);

/**
 * Runs the model on `input` (n x c x h x w float32) without gradients and writes n x num_classes logits to
 * `out`, whose capacity in floats is `out_capacity`; `out_classes` receives num_classes.
 */
int32_t td_model_forward(td_model *model, const float *input, int64_t n, int64_t c, int64_t h, int64_t w,
                         float *out, int64_t out_capacity, int64_t *out_classes);

/* ---- losses ----------------------------------------------------------------------------------------- */

/** The distillation loss and its label mix. */
typedef struct {
    double temperature;     /* divides logits before the softmax (and the loss is scaled by T^2); 1 = off */
    double alpha;           /* weight of the KD term; 1 - alpha goes to label cross-entropy. 1 = KD only */
    double label_smoothing; /* for the label term */
} td_loss_config;

/**
 * The sparse KD loss of TinyViT on n x num_classes logits: the target of each row is `values` at `indices`
 * (k per row) and (1 - sum(values)) / (C - k) at every other class; loss = mean over rows of the soft-target
 * cross-entropy. With alpha < 1, `labels` (n, may be NULL when alpha == 1) add label cross-entropy.
 * Writes the loss and, if `grad` is non-NULL, d loss / d logits (n x C).
 */
int32_t td_sparse_kd_loss(const float *logits, int64_t n, int64_t num_classes, const int32_t *indices,
                          const float *values, int64_t k, const int64_t *labels, const td_loss_config *config,
                          double *loss, float *grad);

/* ---- training --------------------------------------------------------------------------------------- */

typedef struct td_trainer td_trainer;

/** AdamW and step settings. */
typedef struct {
    double weight_decay;     /* decoupled; not applied to biases, norms (1-D tensors) and attention biases */
    double beta1, beta2, eps;
    double clip_grad_norm;   /* max global L2 norm of gradients; 0 = off */
    double layer_lr_decay;   /* TinyViT layer-wise LR decay (1 = off) */
    td_loss_config loss;
} td_train_config;

/** What one optimisation step measured. */
typedef struct {
    double loss;        /* total loss */
    double kd_loss;     /* sparse KD term (before alpha) */
    double label_loss;  /* label cross-entropy term (before 1 - alpha), 0 without labels */
    double grad_norm;   /* global L2 norm of gradients before clipping */
    int64_t correct;    /* rows whose argmax equals the label (0 without labels) */
} td_step_result;

/** A trainer over `model` (which must outlive it). */
int32_t td_trainer_create(td_model *model, const td_train_config *config, td_trainer **out);
void td_trainer_free(td_trainer *trainer);

/**
 * One AdamW step at learning rate `lr` on a batch: `input` n x c x h x w float32, sparse targets
 * (indices/values, k per row; k may be 0 with alpha == 0), labels (may be NULL when alpha == 1).
 * `rng_seed` seeds drop path for this step, so a resumed run replays the same randomness.
 */
int32_t td_trainer_step(td_trainer *trainer, const float *input, int64_t n, int64_t c, int64_t h, int64_t w,
                        const int32_t *indices, const float *values, int64_t k, const int64_t *labels,
                        double lr, uint64_t rng_seed, td_step_result *result);

/**
 * Forward and backward on a batch in the model's current mode, without updating anything: leaves the
 * gradients readable with td_trainer_gradient_read and writes the loss (for gradient checks).
 */
int32_t td_trainer_gradients(td_trainer *trainer, const float *input, int64_t n, int64_t c, int64_t h, int64_t w,
                             const int32_t *indices, const float *values, int64_t k, const int64_t *labels,
                             uint64_t rng_seed, double *loss);
/** Copies the gradient of parameter `name` (float32, `count` elements; zeros if it has none). */
int32_t td_trainer_gradient_read(const td_trainer *trainer, const char *name, float *dst, int64_t count);

/** Number of optimiser state entries ("step", "exp_avg.<param>", "exp_avg_sq.<param>"). */
int64_t td_trainer_state_count(const td_trainer *trainer);
int32_t td_trainer_state_info(const td_trainer *trainer, int64_t index, const char **name, int32_t *dtype,
                              int32_t *ndim, int64_t *shape);
int32_t td_trainer_state_read(const td_trainer *trainer, const char *name, void *dst, int64_t nbytes);
int32_t td_trainer_state_write(td_trainer *trainer, const char *name, int32_t dtype, int32_t ndim,
                               const int64_t *shape, const void *src);

/** The learning-rate scale layer-wise decay gives parameter `name` (1 without decay). */
double td_trainer_lr_scale(const td_trainer *trainer, const char *name);
/** Whether weight decay applies to parameter `name` (1) or not (0). */
int32_t td_trainer_decays(const td_trainer *trainer, const char *name);

/* ---- multi-process training (c10d Gloo) -------------------------------------------------------------- */

typedef struct td_group td_group;

/**
 * Joins a Gloo process group; rank 0 serves the rendezvous store at host:port (env:// style). This rank's
 * Gloo device is bound to `interface` when it is non-empty (GLOO_SOCKET_IFNAME), else to `address` (the
 * address its peers dial: the one this host uses to reach the master). `timeout_ms` bounds the rendezvous
 * and every collective: a lost peer is an error after at most that long, never a hang.
 */
int32_t td_group_create_tcp(const char *host, int32_t port, int32_t rank, int32_t world, const char *interface,
                            const char *address, int64_t timeout_ms, td_group **out);
/** Joins a Gloo process group through a file every rank can reach (all ranks on this host, loopback). */
int32_t td_group_create_file(const char *path, int32_t rank, int32_t world, int64_t timeout_ms, td_group **out);
void td_group_free(td_group *group);
/** Rank `rank`'s Gloo device as it described itself at the rendezvous (its address included); NULL when out
 * of range. The string lives as long as the group. */
const char *td_group_device(const td_group *group, int32_t rank);
/** Averages `count` floats across ranks in place. */
int32_t td_group_allreduce_mean(td_group *group, float *values, int64_t count);
/** Waits for every rank. */
int32_t td_group_barrier(td_group *group);
/** Averages the trainer's gradients over `group` after every backward pass (NULL: single process). */
int32_t td_trainer_set_group(td_trainer *trainer, td_group *group);

#ifdef __cplusplus
}
#endif

#endif /* TD_TORCH_H */
