#include "cimagecodecs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int td_gunzip(const uint8_t *data, size_t size, uint8_t **out, size_t *outsize, char *err, size_t errlen) {
    *out = NULL;
    *outsize = 0;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        snprintf(err, errlen, "zlib initialisation failed");
        return 1;
    }
    size_t cap = size * 4 + 1024, len = 0;
    uint8_t *buf = (uint8_t *)malloc(cap);
    if (!buf) {
        inflateEnd(&zs);
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)size; /* IDX files are far below 4 GiB compressed */
    int rc;
    for (;;) {
        if (len == cap) {
            size_t grown_cap = cap * 2;
            uint8_t *grown = (uint8_t *)realloc(buf, grown_cap);
            if (!grown) {
                free(buf);
                inflateEnd(&zs);
                snprintf(err, errlen, "out of memory");
                return 1;
            }
            buf = grown;
            cap = grown_cap;
        }
        zs.next_out = buf + len;
        size_t room = cap - len;
        zs.avail_out = (uInt)(room > 0x40000000u ? 0x40000000u : room);
        uInt before = zs.avail_out;
        rc = inflate(&zs, Z_NO_FLUSH);
        len += before - zs.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(err, errlen, "corrupt gzip data (%s)", zs.msg ? zs.msg : "inflate failed");
            free(buf);
            inflateEnd(&zs);
            return 1;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
            snprintf(err, errlen, "truncated gzip data");
            free(buf);
            inflateEnd(&zs);
            return 1;
        }
    }
    inflateEnd(&zs);
    *out = buf;
    *outsize = len;
    return 0;
}
