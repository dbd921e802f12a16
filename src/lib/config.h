/* config.h (lib) - not written yet. */
#ifndef X402_CONFIG_H
#define X402_CONFIG_H
#endif
