/*
 * tinydistill.h: the C interface of libTinyDistillC, version 2.
 *
 * A thin, versioned layer over the Swift library for callers in other languages (the Python package
 * `tinydistill` loads it with ctypes). Three things are exposed:
 *   - stores: open one file or shards, read metadata, records and whole chunks as columns;
 *   - the teacher stage: hand out augmented batches of a dataset and take back each row's teacher output,
 *     writing (and resuming) a store exactly as `tinydistill precompute` does;
 *   - the loader: replay a store's augmentations and hand out training batches, exactly as
 *     `tinydistill stream` and `tinydistill train` see them.
 *
 * Conventions.
 *   - Every function that can fail returns a status (TINYDISTILL_OK or an error code). On failure,
 *     tinydistill_last_error() returns this thread's message, naming the file, record or option at
 *     fault; it stays valid until the next failing call on the same thread.
 *   - Handles are opaque and owned by the caller, who releases each with its _free function (NULL is
 *     accepted and ignored). A handle is used from one thread at a time.
 *   - Options are passed as one JSON object (UTF-8), whose keys are documented at each _open function.
 *     Unknown keys are refused, so a misspelt option never goes unnoticed.
 *   - Strings returned through `char **` are allocated by the library; release them with
 *     tinydistill_string_free().
 *   - Arrays returned in a view struct are owned by the handle they came from and valid as documented.
 *   - No function installs signal handlers; every wait inside is bounded by the work of one batch.
 */
#ifndef TINYDISTILL_H
#define TINYDISTILL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface; tinydistill_abi_version() returns the library's. */
/* 2: class indices (and chunk sample ids) are int64 in the chunk and batch views; tinydistill_verify; the
 * loader's options num_workers and prefetch_factor (were workers and prefetch).
 * Added within 2 (options an older 2 refuses by name): "class_map" for the stage, the loader and verify;
 * a caller's teacher without "num_classes" or "class_names". */
#define TINYDISTILL_ABI_VERSION 2

/* Status codes. */
#define TINYDISTILL_OK 0
#define TINYDISTILL_ERROR_INVALID 1   /* an option or argument is wrong (the message names it) */
#define TINYDISTILL_ERROR_STORE 2     /* a store file is missing, corrupt or refused */
#define TINYDISTILL_ERROR_FAILED 3    /* the work failed (a dataset that changed, an I/O error) */
#define TINYDISTILL_ERROR_STATE 4     /* a call out of order (a closed stage, a batch not written) */

/* Pixel formats of a stage batch. */
#define TINYDISTILL_PIXELS_FLOAT32 0  /* normalised float32, rows x channels x height x width */
#define TINYDISTILL_PIXELS_UINT8 1    /* augmented uint8 before normalisation, rows x height x width x channels */

typedef struct tinydistill_store tinydistill_store;
typedef struct tinydistill_chunk tinydistill_chunk;
typedef struct tinydistill_stage tinydistill_stage;
typedef struct tinydistill_loader tinydistill_loader;
typedef struct tinydistill_stream tinydistill_stream;
typedef struct tinydistill_batch tinydistill_batch;

/* One decoded chunk: records in ascending sample order, each record's k entries in ascending class order. */
typedef struct tinydistill_chunk_view {
    int64_t epoch;
    int64_t records;
    int64_t k;
    const int64_t *sample_ids;    /* records */
    const uint64_t *seeds;        /* records */
    const int64_t *indices;       /* records x k: int64, the index type of torch's gather and scatter */
    const float *values;          /* records x k (decoded: exact fp16 or q8 values) */
} tinydistill_chunk_view;

/* A batch handed out by the stage; valid until the next tinydistill_stage_next() or _free. */
typedef struct tinydistill_stage_batch {
    int64_t rows;
    int64_t channels;
    int64_t height;
    int64_t width;
    int32_t pixel_format;         /* TINYDISTILL_PIXELS_* */
    const void *pixels;           /* float or uint8, see pixel_format; NULL for a dataset without images */
    const int64_t *epochs;        /* rows: the stored epoch each row belongs to */
    const int64_t *sample_ids;    /* rows */
    const uint64_t *seeds;        /* rows: the augmentation seed */
    const int64_t *labels;        /* rows: the dataset label, -1 where there is none */
    const uint8_t *valid;         /* rows: 0 where the sample could not be read (its pixels are meaningless;
                                     the stage records it as a failure whatever is written for it) */
} tinydistill_stage_batch;

/* A training batch from the loader; valid until tinydistill_batch_free(). */
typedef struct tinydistill_batch_view {
    int64_t epoch;                /* training epoch */
    int64_t stored_epoch;         /* the stored epoch it reads (epoch mod stored epochs) */
    int64_t position;             /* this rank's records consumed after this batch: the resume cursor */
    int64_t rows;
    int64_t channels;
    int64_t height;
    int64_t width;
    int64_t k;
    const float *images;          /* rows x channels x height x width, normalised, exactly what the teacher saw */
    const int64_t *indices;       /* rows x k, by descending probability (int64, as in the chunk view) */
    const float *values;          /* rows x k */
    const int64_t *labels;        /* rows, -1 where the dataset has none */
    const int64_t *sample_ids;    /* rows */
    const uint64_t *seeds;        /* rows */
} tinydistill_batch_view;

/* ---- Library ---- */

/* The interface version the library implements (TINYDISTILL_ABI_VERSION of its build). */
int32_t tinydistill_abi_version(void);
/* The library's version string (static). */
const char *tinydistill_version(void);
/* This thread's last error message, or NULL if none. */
const char *tinydistill_last_error(void);
/* Releases a string the library returned. */
void tinydistill_string_free(char *s);

/* ---- Stores ---- */

/* Opens `count` paths (files, shard folders or globs, as the CLI's --store). */
int32_t tinydistill_store_open(const char *const *paths, int64_t count, tinydistill_store **out);
void tinydistill_store_free(tinydistill_store *store);
/* The metadata as JSON: the store's own metadata plus "paths", "epochs_stored" and "file_bytes". */
int32_t tinydistill_store_metadata(tinydistill_store *store, char **json);
/* Every chunk as a JSON array of {"shard", "epoch", "chunk", "records", "min_sample", "max_sample"}. */
int32_t tinydistill_store_chunks(tinydistill_store *store, char **json);
/* Reads record (epoch, sample): *found is 0 when the store has none. Otherwise *seed and the first k
 * entries of indices/values (capacity entries each, at least the store's K) are written, by descending
 * probability. */
int32_t tinydistill_store_record(tinydistill_store *store, int64_t epoch, int64_t sample, int32_t *found,
                                 uint64_t *seed, int64_t *indices, float *values, int64_t capacity);
/* Decodes one chunk of one shard (checksums verified). */
int32_t tinydistill_store_read_chunk(tinydistill_store *store, int64_t shard, int64_t epoch, int64_t chunk,
                                     tinydistill_chunk **out);
/* The chunk's columns; valid until tinydistill_chunk_free(). */
int32_t tinydistill_chunk_view_get(tinydistill_chunk *chunk, tinydistill_chunk_view *view);
void tinydistill_chunk_free(tinydistill_chunk *chunk);
/* The dense target rows x num_classes of sparse (indices, values): values at their classes and the
 * uniform remainder (1 - sum values) / (C - k), clamped at 0, everywhere else. */
int32_t tinydistill_dense(const int64_t *indices, const float *values, int64_t rows, int64_t k,
                          int64_t num_classes, float *out);
/* The trainer's sparse KD loss (the mean soft-target cross-entropy at `temperature`) of logits
 * rows x num_classes; `grad` (rows x num_classes, may be NULL) receives its gradient. */
int32_t tinydistill_sparse_kd_loss(const float *logits, int64_t rows, int64_t num_classes,
                                   const int64_t *indices, const float *values, int64_t k, double temperature,
                                   double *loss, float *grad);

/* ---- The teacher stage ---- */

/* Opens (or resumes) a store for a teacher the caller runs. Options (JSON object):
 *   "out" (string, required): the store file;
 *   "data" (string, required): the dataset spec, as the CLI's --data;
 *   "teacher" (object, required): {"name": string, "digest": string, "num_classes": int (optional),
 *       "class_names": array of strings (optional; class 0 first), "channels": 1 or 3 (optional: the
 *       dataset's own)} - the store records "caller:NAME" and DIGEST, and the names; without
 *       "num_classes" and "class_names" the class count is taken from the first write of logits or
 *       probabilities (or from the store being resumed), and stage_info's "num_classes" is 0 until then;
 *   "policy" (string): a policy file, or "policy_json" (string): the policy itself; neither: the TinyViT
 *       recipe at 224;
 *   "targets" (string, default "topk"): "topk", "topk:K" or "sample:N[:T]" (N classes drawn from each
 *       row's p^(1/T) under its seed, kept with their counts; docs/store-format.md "Sampled targets");
 *   "topk" (int: required for top-K targets unless "targets" gives K; left out for sampled targets, whose
 *       stage_info "topk" is min(N, C)), "epochs" (int, required); "seed" (int, default 0); "codec" ("fp16" or "q8", default fp16);
 *   "rank", "world" (int, default 0 and 1); "batch_size" (int, default 64); "threads" (int, default 2);
 *   "chunk_records" (int, default 4096); "compression_level" (int, default 1); "exclude" (string);
 *   "max_store_bytes" (int); "pixels" ("float32" or "uint8", default float32); "class_map" (string: a
 *   class map file relating the teacher's classes to a dataset's that differ; checked, not applied).
 * Settings that differ from an existing store's are refused, as in precompute. */
int32_t tinydistill_stage_open(const char *options_json, tinydistill_stage **out);
/* JSON: {"num_classes", "topk", "channels", "height", "width", "pixels", "total", "skipped", "metadata"}. */
int32_t tinydistill_stage_info(tinydistill_stage *stage, char **json);
/* The next batch into *batch; *has_batch is 0 at the end. The previous batch must have been written. */
int32_t tinydistill_stage_next(tinydistill_stage *stage, int32_t *has_batch, tinydistill_stage_batch *batch);
/* Writes the outstanding batch from the teacher's logits (rows x num_classes): softmax and top-K exactly
 * as precompute computes them from a libtorch teacher's logits. */
int32_t tinydistill_stage_write_logits(tinydistill_stage *stage, const float *logits, int64_t rows, int64_t num_classes);
/* Writes the outstanding batch from probabilities (rows x num_classes): the K largest, ties by lower class;
 * for sampled targets (this and write_logits), the draw from each row under its seed. */
int32_t tinydistill_stage_write_probs(tinydistill_stage *stage, const float *probs, int64_t rows, int64_t num_classes);
/* Writes the outstanding batch from its top-K (rows x k classes and probabilities; k = the store's K).
 * Refused for sampled targets. */
int32_t tinydistill_stage_write_topk(tinydistill_stage *stage, const int64_t *indices, const float *values,
                                     int64_t rows, int64_t k);
/* Closes the store: "finished" when every row was written, else "interrupted" (resumable). *summary_json
 * (may be NULL) receives the run's summary, as precompute --json prints it. */
int32_t tinydistill_stage_close(tinydistill_stage *stage, char **summary_json);
/* Releases the stage, closing the store as "interrupted" if it is still open. */
void tinydistill_stage_free(tinydistill_stage *stage);

/* ---- Verification without a model ---- */

/* Checks a store (or shard set) as `tinydistill verify` does without a model teacher: SQLite's structure,
 * every chunk and record, coverage against the samples and recorded failures, and with "data" the
 * dataset's fingerprint and the stored policy; with "teacher": "synthetic:C" it also replays the picked
 * records. Options (JSON object): "stores" (array of paths, required), "data", "teacher", "sample"
 * (records to replay, default 256), "all" (replay every record), "batch_size" (default 64), "class_map"
 * (a class map file, checked against the store's teacher and "data"). Problems found
 * are in the report (the `verify --json` document, released with tinydistill_string_free), not an error. */
int32_t tinydistill_verify(const char *options_json, char **report_json);

/* ---- The loader ---- */

/* Opens a loader. Options (JSON object):
 *   "stores" (array of strings, required): files, shard folders or globs;
 *   "data" (string, required): the dataset the store indexes;
 *   "batch_size" (int, required); "seed" (int, default 0); "rank", "world" (int, default 0 and 1);
 *   "num_workers" (int, default 2); "prefetch_factor" (int, default 2); "shuffle_chunks" (int, default 8);
 *   "drop_last" (bool, default true); "exclude" (string); "class_map" (string: a class map file; targets
 *   then come in the dataset's classes, "topk" = min(K, their count) entries per row). */
int32_t tinydistill_loader_open(const char *options_json, tinydistill_loader **out);
void tinydistill_loader_free(tinydistill_loader *loader);
/* JSON: {"num_classes", "topk", "channels", "side", "stored_epochs", "metadata", "class_map_digest" (null
 * without a map), "class_names" (the classes of the targets handed out: the map's, else the dataset's)}. */
int32_t tinydistill_loader_info(tinydistill_loader *loader, char **json);
/* Batches this rank gets in `epoch`, and records it reads. */
int32_t tinydistill_loader_batch_count(tinydistill_loader *loader, int64_t epoch, int64_t *batches, int64_t *records);
/* Starts `epoch` at rank-local record `position` (0, or a position a batch reported, to resume exactly). */
int32_t tinydistill_loader_stream(tinydistill_loader *loader, int64_t epoch, int64_t position, tinydistill_stream **out);
/* The next batch into *batch (NULL at the end of the epoch). */
int32_t tinydistill_stream_next(tinydistill_stream *stream, tinydistill_batch **batch);
/* Seconds the stream waited for batches that were not ready. */
double tinydistill_stream_wait_seconds(tinydistill_stream *stream);
void tinydistill_stream_free(tinydistill_stream *stream);
int32_t tinydistill_batch_view_get(tinydistill_batch *batch, tinydistill_batch_view *view);
void tinydistill_batch_free(tinydistill_batch *batch);

#ifdef __cplusplus
}
#endif

#endif
