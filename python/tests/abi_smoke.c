/* Compiled against tinydistill.h and linked with libTinyDistillC by test_abi_header.py: the header's
 * declarations and struct layouts are what the library exports. Usage: abi_smoke STORE DATA */
#include <stdio.h>
#include <string.h>
#include "tinydistill.h"

#define CHECK(call) do { if ((call) != TINYDISTILL_OK) { fprintf(stderr, "%s: %s\n", #call, tinydistill_last_error()); return 1; } } while (0)

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    if (tinydistill_abi_version() != TINYDISTILL_ABI_VERSION) { fprintf(stderr, "abi version\n"); return 1; }
    /* A failure sets this thread's message and returns its code. */
    const char *missing = "/nonexistent/x.tdstore";
    tinydistill_store *none = NULL;
    if (tinydistill_store_open(&missing, 1, &none) != TINYDISTILL_ERROR_STORE || none != NULL) return 1;
    if (!strstr(tinydistill_last_error(), "/nonexistent/x.tdstore")) return 1;
    tinydistill_loader *bad = NULL;
    if (tinydistill_loader_open("{\"stores\": [\"a\"], \"data\": \"b\", \"batch_size\": 8, \"bogus\": 1}", &bad)
        != TINYDISTILL_ERROR_INVALID || !strstr(tinydistill_last_error(), "unknown option \"bogus\"")) return 1;

    const char *path = argv[1];
    tinydistill_store *store = NULL;
    CHECK(tinydistill_store_open(&path, 1, &store));
    char *meta = NULL;
    CHECK(tinydistill_store_metadata(store, &meta));
    int has_k = strstr(meta, "\"top_k\":3") != NULL;
    tinydistill_string_free(meta);
    if (!has_k) return 1;
    tinydistill_chunk *chunk = NULL;
    CHECK(tinydistill_store_read_chunk(store, 0, 0, 0, &chunk));
    tinydistill_chunk_view cv;
    CHECK(tinydistill_chunk_view_get(chunk, &cv));
    int32_t found = 0; uint64_t seed = 0; int64_t idx[3]; float val[3];
    CHECK(tinydistill_store_record(store, 0, cv.sample_ids[0], &found, &seed, idx, val, 3));
    if (!found || seed != cv.seeds[0]) return 1;
    /* int64 indices in both: the chunk's row by ascending class is the record's (by probability) sorted. */
    for (int i = 0; i < 3; i++) {
        int hits = 0;
        for (int j = 0; j < 3; j++) hits += cv.indices[j] == idx[i];
        if (hits != 1 || (i > 0 && cv.indices[i] <= cv.indices[i - 1])) return 1;
    }
    if (cv.sample_ids[cv.records - 1] <= cv.sample_ids[0]) return 1;
    tinydistill_chunk_free(chunk);
    tinydistill_store_free(store);

    char options[512];
    snprintf(options, sizeof options, "{\"stores\": [\"%s\"], \"data\": \"%s\", \"batch_size\": 16}", argv[1], argv[2]);
    tinydistill_loader *loader = NULL;
    CHECK(tinydistill_loader_open(options, &loader));
    int64_t batches = 0, records = 0;
    CHECK(tinydistill_loader_batch_count(loader, 0, &batches, &records));
    tinydistill_stream *stream = NULL;
    CHECK(tinydistill_loader_stream(loader, 0, 0, &stream));
    int64_t seen = 0, got = 0;
    for (;;) {
        tinydistill_batch *batch = NULL;
        CHECK(tinydistill_stream_next(stream, &batch));
        if (!batch) break;
        tinydistill_batch_view v;
        CHECK(tinydistill_batch_view_get(batch, &v));
        seen += v.rows;
        got += 1;
        if (v.k != 3 || v.channels != 1 || v.height != 28 || v.position != seen) return 1;
        for (int64_t i = 0; i < v.rows * v.k; i++) if (v.indices[i] < 0 || v.indices[i] >= 10) return 1;
        for (int64_t i = 0; i < v.rows; i++) if (v.sample_ids[i] < 0 || v.sample_ids[i] >= 160) return 1;
        tinydistill_batch_free(batch);
    }
    tinydistill_stream_free(stream);
    tinydistill_loader_free(loader);
    printf("{\"batches\": %lld, \"expected_batches\": %lld, \"records\": %lld}\n", (long long)got, (long long)batches,
           (long long)seen);
    return got == batches && seen == batches * 16 ? 0 : 1;
}
