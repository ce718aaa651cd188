/* Region-of-interest JPEG decoding with libjpeg-turbo's jpeg_crop_scanline and jpeg_skip_scanlines. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "cimagecodecs.h"

#define REGION_MARGIN 16

struct region_error {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char *err;
    size_t errlen;
};

static void region_error_exit(j_common_ptr cinfo) {
    struct region_error *e = (struct region_error *)cinfo->err;
    char message[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, message);
    snprintf(e->err, e->errlen, "%s", message);
    longjmp(e->jump, 1);
}

/* Warnings (corrupt data, premature end) are errors, as TurboJPEG's TJFLAG_STOPONWARNING makes them. */
static void region_emit_message(j_common_ptr cinfo, int level) {
    if (level < 0) region_error_exit(cinfo);
}

int td_jpeg_decode_region(const uint8_t *data, size_t size, int denominator, int x0, int y0, int x1, int y1,
                          uint8_t **out, int *out_x, int *out_width, int *channels, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    struct region_error jerr;
    uint8_t *volatile pixels = NULL;
    *out = NULL;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = region_error_exit;
    jerr.mgr.emit_message = region_emit_message;
    jerr.err = err;
    jerr.errlen = errlen;
    if (setjmp(jerr.jump)) {
        free(pixels);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_GRAYSCALE) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_RGB) {
        cinfo.out_color_space = JCS_EXT_RGB;
    } else {
        snprintf(err, errlen, "region decoding covers gray, YCbCr and RGB JPEGs only");
        jpeg_destroy_decompress(&cinfo);
        return 2;
    }
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)denominator;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&cinfo);
    if (x0 < 0 || y0 < 0 || x1 > (int)cinfo.output_width || y1 > (int)cinfo.output_height || x0 >= x1 || y0 >= y1) {
        snprintf(err, errlen, "region [%d, %d) x [%d, %d) lies outside the %ux%u scaled image", x0, x1, y0, y1,
                 cinfo.output_width, cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return 2;
    }
    /* Fancy upsampling treats the edges of a cropped scanline as image edges, so the columns next to
     * them can differ from a full decode: keep REGION_MARGIN columns of slack on both sides (then widened
     * to iMCU boundaries by libjpeg), so that only columns outside [x0, x1) can differ. */
    int ax0 = x0 - REGION_MARGIN < 0 ? 0 : x0 - REGION_MARGIN;
    int ax1 = x1 + REGION_MARGIN > (int)cinfo.output_width ? (int)cinfo.output_width : x1 + REGION_MARGIN;
    JDIMENSION xoffset = (JDIMENSION)ax0, width = (JDIMENSION)(ax1 - ax0);
    jpeg_crop_scanline(&cinfo, &xoffset, &width);
    int c = cinfo.output_components;
    size_t stride = (size_t)cinfo.output_width * (size_t)c;
    int rows = y1 - y0;
    pixels = malloc(stride * (size_t)rows);
    if (!pixels) {
        snprintf(err, errlen, "out of memory for a %ux%d region", cinfo.output_width, rows);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    if (y0 > 0) jpeg_skip_scanlines(&cinfo, (JDIMENSION)y0);
    while ((int)cinfo.output_scanline < y1) {
        JSAMPROW row = pixels + (size_t)((int)cinfo.output_scanline - y0) * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    *out_x = (int)xoffset;
    *out_width = (int)cinfo.output_width;
    *channels = c;
    *out = pixels;
    jpeg_abort_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
