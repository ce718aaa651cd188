#ifndef TINYDISTILL_CIMAGECODECS_H
#define TINYDISTILL_CIMAGECODECS_H
/* Thin C shims over libpng, zlib and libjpeg (region decoding). libpng and libjpeg report errors by longjmp, which must not cross Swift
 * frames, so every libpng call stays in C behind setjmp; the functions return 0 on success and
 * otherwise write a message into err. Buffers returned through out are malloc'ed: free with
 * td_free. */
#include <stddef.h>
#include <stdint.h>

/* Decodes a PNG to 8-bit gray (channels 1) or RGB (channels 3): palettes expand to RGB, gray below
 * 8 bits expands, 16-bit samples keep their high byte, alpha and tRNS are dropped. */
int td_png_decode(const uint8_t *data, size_t size, uint8_t **out, int *width, int *height, int *channels,
                  char *err, size_t errlen);

/* Encodes 8-bit gray (1), gray+alpha (2), RGB (3) or RGBA (4) pixels, rows packed, to PNG. */
int td_png_encode(const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *outsize,
                  char *err, size_t errlen);

/* Inflates a gzip stream. */
int td_gunzip(const uint8_t *data, size_t size, uint8_t **out, size_t *outsize, char *err, size_t errlen);

/* Decodes only rows [y0, y1) and columns [x0, x1) (at least) of a JPEG scaled by 1/denominator, with the
 * settings of the TurboJPEG full decode (accurate DCT, fancy upsampling, warnings are errors), to gray
 * (grayscale JPEGs) or RGB. Columns are widened to iMCU boundaries: *out holds y1 - y0 rows of *out_width
 * pixels starting at column *out_x. Returns 0, 1 on a decode error, 2 when the region or the colour
 * space is not supported (the caller decodes in full). */
int td_jpeg_decode_region(const uint8_t *data, size_t size, int denominator, int x0, int y0, int x1, int y1,
                          uint8_t **out, int *out_x, int *out_width, int *channels, char *err, size_t errlen);

void td_free(void *p);
#endif
