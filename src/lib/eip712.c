/* eip712.c - not written yet. */
#include "autoconfig.h"
