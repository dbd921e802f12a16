#include "testutil.h"
static Suite *s(void){return suite_create("p");}
TU_MAIN(s)
