#ifndef TINYDISTILL_CTURBOJPEG_SHIM_H
#define TINYDISTILL_CTURBOJPEG_SHIM_H
#include <turbojpeg.h>
#endif
