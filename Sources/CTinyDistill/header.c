// The header of libTinyDistillC as a module, so that the Swift implementation uses its struct layouts.
#include "tinydistill.h"
