/*
 * nocheck.h - put in front of every Check suite by configure when the
 * Check library was not found: `make check` stops here, saying why.
 */
#error "make check needs the Check library: apt-get install check, then run configure again"
