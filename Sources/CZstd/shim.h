#ifndef TINYDISTILL_CZSTD_SHIM_H
#define TINYDISTILL_CZSTD_SHIM_H
#include <zstd.h>
#endif
