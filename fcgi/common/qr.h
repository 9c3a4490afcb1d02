/* QR codes (libqrencode) drawn as SVG path data: the booking reference
 * on the confirmation, for the scanner at the counter. */
#ifndef CRENEAU_QR_H
#define CRENEAU_QR_H

struct arena;

char	*qr_svg_path(struct arena *, const char *text, int *size);

#endif
