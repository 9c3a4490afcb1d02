## po/local.mk: gettext catalogues, included from the top-level Makefile.am
## (paths are relative to the top of the tree). Hook it up with:
##
##   include $(srcdir)/po/local.mk
##   all-local: po-all
##   clean-local: po-clean
##   install-data-local: po-install
##   uninstall-local: po-uninstall
##   dist-hook: po-dist
##
## Languages are listed in po/LINGUAS, one per line (# starts a comment).
## Adding a language is adding po/<lang>.po and a line there; nothing here
## names a language. Uses MSGFMT, XGETTEXT, MSGMERGE, MSGCAT and PYTHON3
## from configure.
##
##   make po-all      po/<lang>.po -> po/locale/<lang>/LC_MESSAGES/creneau.mo
##                    (in the build tree; msgfmt --check)
##   make update-po   extract C and template strings into po/creneau.pot,
##                    then msgmerge every catalogue (in the source tree)
##   make check-po    every catalogue complete (po/check-translations.sh)

PO_DOMAIN = creneau
PO_LINGUAS_CMD = sed -e 's/\#.*//' $(srcdir)/po/LINGUAS
PO_XGETTEXT_FLAGS = --from-code=UTF-8 --language=C \
	--keyword=_ --keyword=N_ --keyword=ngettext:1,2 --keyword=C_:1c,2 \
	--add-comments=TRANSLATORS: --force-po \
	--package-name=$(PACKAGE) --package-version=$(VERSION) \
	--msgid-bugs-address='$(PACKAGE_BUGREPORT)' \
	--copyright-holder='the creneau authors'

EXTRA_DIST += po/LINGUAS po/creneau.pot po/local.mk \
	po/extract-templates.py po/check-translations.sh po/fill-en.sh

.PHONY: po-all po-clean po-install po-uninstall po-dist update-po check-po

po-all:
	@for lang in `$(PO_LINGUAS_CMD)`; do \
	  po=$(srcdir)/po/$$lang.po; \
	  dir=po/locale/$$lang/LC_MESSAGES; \
	  mo=$$dir/$(PO_DOMAIN).mo; \
	  if test -f $$mo && test -z "`find $$po -newer $$mo`"; then \
	    continue; \
	  fi; \
	  echo "  MSGFMT   $$mo"; \
	  $(MKDIR_P) $$dir || exit 1; \
	  if $(MSGFMT) --check -o $$mo.tmp $$po; then \
	    mv -f $$mo.tmp $$mo || exit 1; \
	  else \
	    rm -f $$mo.tmp; exit 1; \
	  fi; \
	done

po-clean:
	-rm -rf po/locale

po-install: po-all
	@for lang in `$(PO_LINGUAS_CMD)`; do \
	  dir="$(DESTDIR)$(localedir)/$$lang/LC_MESSAGES"; \
	  echo " $(INSTALL_DATA) po/locale/$$lang/LC_MESSAGES/$(PO_DOMAIN).mo '$$dir'"; \
	  $(MKDIR_P) "$$dir" && \
	  $(INSTALL_DATA) po/locale/$$lang/LC_MESSAGES/$(PO_DOMAIN).mo \
	    "$$dir/$(PO_DOMAIN).mo" || exit 1; \
	done

po-uninstall:
	@for lang in `$(PO_LINGUAS_CMD)`; do \
	  echo " rm -f '$(DESTDIR)$(localedir)/$$lang/LC_MESSAGES/$(PO_DOMAIN).mo'"; \
	  rm -f "$(DESTDIR)$(localedir)/$$lang/LC_MESSAGES/$(PO_DOMAIN).mo"; \
	done

po-dist:
	@for lang in `$(PO_LINGUAS_CMD)`; do \
	  cp -p $(srcdir)/po/$$lang.po $(distdir)/po/$$lang.po || exit 1; \
	done

## Writes po/creneau.pot and po/<lang>.po in the source tree.
## xgettext leaves "charset=CHARSET" in its header: set it to UTF-8, the
## --from-code, so that msgcat accepts it.
update-po:
	@echo "  XGETTEXT po/creneau.pot"; \
	cd $(srcdir) && \
	$(PYTHON3) po/extract-templates.py templates/*.xhtml templates/mail/*.xhtml \
	  > po/templates.pot.tmp && \
	set x fcgi/*/*.c fcgi/web/*/*.c; shift; test -f "$$1" || set /dev/null; \
	$(XGETTEXT) $(PO_XGETTEXT_FLAGS) -o po/c.pot.tmp "$$@" && \
	sed -e 's/charset=CHARSET/charset=UTF-8/' po/c.pot.tmp \
	  > po/c.pot.tmp2 && \
	$(MSGCAT) --use-first --to-code=UTF-8 -o po/creneau.pot \
	  po/c.pot.tmp2 po/templates.pot.tmp && \
	rm -f po/c.pot.tmp po/c.pot.tmp2 po/templates.pot.tmp && \
	for lang in `sed -e 's/#.*//' po/LINGUAS`; do \
	  if test -f po/$$lang.po; then \
	    echo "  MSGMERGE po/$$lang.po"; \
	    $(MSGMERGE) --quiet --update --backup=none --previous \
	      po/$$lang.po po/creneau.pot || exit 1; \
	  else \
	    msginit --no-translator --locale=$$lang.UTF-8 \
	      -i po/creneau.pot -o po/$$lang.po || exit 1; \
	  fi; \
	done; \
	if test -f po/fill-en.sh; then $(SHELL) po/fill-en.sh .; fi

check-po:
	$(SHELL) $(srcdir)/po/check-translations.sh $(srcdir)
