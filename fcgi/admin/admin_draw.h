/* creneau-admin's draw commands: running the due draws (and passing
 * lapsed offers down the order), and recomputing a published draw. */
#ifndef CRENEAU_ADMIN_DRAW_H
#define CRENEAU_ADMIN_DRAW_H

int	draw_run_due(void);
int	draw_verify(const char *seed_hex, const char *entries_path);

#endif
