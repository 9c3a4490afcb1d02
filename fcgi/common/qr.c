/* QR codes as SVG path data (see qr.h). libqrencode computes the
 * modules; this file only turns dark modules into path commands, one
 * rectangle per horizontal run, so a printed code stays crisp. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <qrencode.h>

#include "arena.h"
#include "qr.h"

#define QUIET	4	/* light modules around the symbol (ISO/IEC 18004) */

/* Returns the path data ("M x y h n v1 h -n z" per run of dark modules,
 * in module units, the quiet zone included) of the QR code of text, with
 * error correction level M, and sets *size to the side of the square
 * (symbol + quiet zone) for the viewBox; NULL when text cannot be
 * encoded or memory runs out. */
char *
qr_svg_path(struct arena *a, const char *text, int *size)
{
	QRcode		*qr;
	char		*d = NULL, *p;
	size_t		 cap, used = 0;
	int		 x, y, run, w, n;

	if (text == NULL || *text == '\0' ||
	    (qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
		return NULL;
	w = qr->width;
	/* At worst every other module starts a run of one: 32 bytes each. */
	cap = (size_t)w * (size_t)w * 16 + 1;
	if ((d = arena_alloc(a, cap)) == NULL)
		goto out;
	for (y = 0; y < w; y++)
		for (x = 0; x < w; x += run > 0 ? run : 1) {
			for (run = 0; x + run < w &&
			    (qr->data[y * w + x + run] & 1); run++)
				;
			if (run == 0)
				continue;
			p = d + used;
			n = snprintf(p, cap - used, "%sM%d %dh%dv1h-%dz",
			    used > 0 ? " " : "", x + QUIET, y + QUIET, run, run);
			if (n < 0 || (size_t)n >= cap - used) {
				d = NULL;
				goto out;
			}
			used += (size_t)n;
		}
	d[used] = '\0';
	*size = w + 2 * QUIET;
out:
	QRcode_free(qr);
	return d;
}
