#include "cimagecodecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
} td_reader;

typedef struct {
    char *err;
    size_t errlen;
} td_errctx;

static void td_png_error(png_structp png, png_const_charp msg) {
    td_errctx *ctx = (td_errctx *)png_get_error_ptr(png);
    if (ctx && ctx->err && ctx->errlen) snprintf(ctx->err, ctx->errlen, "%s", msg);
    png_longjmp(png, 1);
}

static void td_png_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void td_png_read(png_structp png, png_bytep dst, png_size_t n) {
    td_reader *r = (td_reader *)png_get_io_ptr(png);
    if (r->size - r->offset < n) png_error(png, "truncated PNG data");
    memcpy(dst, r->data + r->offset, n);
    r->offset += n;
}

int td_png_decode(const uint8_t *data, size_t size, uint8_t **out, int *width, int *height, int *channels,
                  char *err, size_t errlen) {
    *out = NULL;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(err, errlen, "not a PNG file (bad signature)");
        return 1;
    }
    td_errctx ctx = {err, errlen};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, td_png_error, td_png_warning);
    if (!png) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    volatile png_bytep pixels = NULL;
    png_bytepp volatile rows = NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return 1;
    }
    td_reader reader = {data, size, 0};
    png_set_read_fn(png, &reader, td_png_read);
    /* Refuse absurd sizes before allocating (a corrupt header must not exhaust memory). */
    png_set_user_limits(png, 1 << 15, 1 << 15);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int ch = png_get_channels(png, info);
    if (png_get_bit_depth(png, info) != 8 || (ch != 1 && ch != 3)) {
        snprintf(err, errlen, "unsupported PNG layout (%d channels, %d bits after conversion)", ch,
                 png_get_bit_depth(png, info));
        png_longjmp(png, 1);
    }
    size_t stride = (size_t)w * (size_t)ch;
    pixels = (png_bytep)malloc(stride * h);
    rows = (png_bytepp)malloc(sizeof(png_bytep) * h);
    if (!pixels || !rows) {
        snprintf(err, errlen, "out of memory for %ux%u pixels", w, h);
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pixels + y * stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    *out = pixels;
    *width = (int)w;
    *height = (int)h;
    *channels = ch;
    return 0;
}

typedef struct {
    uint8_t *buf;
    size_t size;
    size_t cap;
    int failed;
} td_writer;

static void td_png_write(png_structp png, png_bytep src, png_size_t n) {
    td_writer *w = (td_writer *)png_get_io_ptr(png);
    if (w->size + n > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4096;
        while (cap < w->size + n) cap *= 2;
        uint8_t *grown = (uint8_t *)realloc(w->buf, cap);
        if (!grown) png_error(png, "out of memory");
        w->buf = grown;
        w->cap = cap;
    }
    memcpy(w->buf + w->size, src, n);
    w->size += n;
}

static void td_png_flush(png_structp png) { (void)png; }

int td_png_encode(const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *outsize,
                  char *err, size_t errlen) {
    *out = NULL;
    *outsize = 0;
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                 PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || width < 1 || height < 1) {
        snprintf(err, errlen, "cannot encode %dx%d pixels with %d channels", width, height, channels);
        return 1;
    }
    td_errctx ctx = {err, errlen};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, td_png_error, td_png_warning);
    if (!png) return 1;
    png_infop info = png_create_info_struct(png);
    td_writer writer = {NULL, 0, 0, 0};
    if (!info || setjmp(png_jmpbuf(png))) {
        free(writer.buf);
        png_destroy_write_struct(&png, &info);
        return 1;
    }
    png_set_write_fn(png, &writer, td_png_write, td_png_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = writer.buf;
    *outsize = writer.size;
    return 0;
}

void td_free(void *p) { free(p); }
