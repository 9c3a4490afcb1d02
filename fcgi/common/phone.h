/* The C side of fcgi/common/phone.cc, the shim over Google's libphonenumber
 * (C++). Only fcgi/common/canon.c calls it: pages use canon_phone(). */
#ifndef CRENEAU_PHONE_H
#define CRENEAU_PHONE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Loads libphonenumber's metadata (once per process); 0 or -1. */
int	phone_init(void);

/* Parses a number already reduced to ASCII digits, spaces and "+().-/"
 * and writes its E.164 form to out. Returns 0 when it is a valid number,
 * 1 when it is not, -1 on an internal failure. *mobile (if not NULL) is
 * set to 1 when the number can receive SMS (a mobile number). */
int	phone_e164(const char *in, char *out, size_t outsz, int *mobile);

#ifdef __cplusplus
}
#endif

#endif
