/* config.c - not written yet. */
#include "autoconfig.h"
