#!/usr/bin/env node
// Every public page and every staff page (logged in as a supervisor of
// the fixture site, or as a mediator), in French, English and Arabic, as
// Debian's Chromium shows it: axe-core finds no WCAG 2.1 A/AA violation
// at desktop nor at phone width;
// <html> carries the language asked for and the right direction; no
// request leaves for another host; the page with its CSS weighs under
// 30 KB; the page loads (and its forms post) with JavaScript off. Screenshots of the main pages
// at phone and desktop widths go to $CRENEAU_VAR/screenshots/.
//
// The booking states and the staff's rows come from real form posts
// (t/a11y/flow.py, with the helpers of t/lib/creneau_test.py) on a fixture
// site dropped at the end, with its staff accounts.
// One Chromium for the whole run; WORKERS pages are checked at once, in
// tabs of their own. No limit on the whole run: a slow machine makes it
// slower; a page that never answers fails, with its name (PAGE_TIMEOUT).
// At the end, where the time went (browser start, fixture, loads, axe).
// Environment: CRENEAU_URL (skips without it), CRENEAU_VAR, PG*;
// CRENEAU_CHROMIUM overrides /usr/bin/chromium; CRENEAU_AXE_PAGES=<regexp>
// checks only the pages whose name matches; CRENEAU_AXE_WORKERS (2 to 4
// by the CPUs), CRENEAU_AXE_PAGE_TIMEOUT (seconds, 600) and
// CRENEAU_TIMEOUT_SCALE (times every limit) adjust the run.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const BASE = process.env.CRENEAU_URL;
if (!BASE) {
	console.log('1..0 # SKIP no test server (run script/test)');
	process.exit(0);
}
const ORIGIN = new URL(BASE).origin;
const TOP = process.env.top_srcdir || path.join(__dirname, '..', '..');
const LANGS = ['fr', 'en', 'ar'];
const RTL = new Set(['ar']);
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const MAX_BYTES = 30 * 1024;
// Time limits are safety nets, not expectations: a slow machine makes
// the test slower, never failing. There is no limit on the whole run;
// each page has its own (it fails, with its name, only if it never
// answers), and the checks go on with the next page.
const scaled = (ms) => ms * (Number(process.env.CRENEAU_TIMEOUT_SCALE) || 1);
const NAV_TIMEOUT = scaled(120000);    // one navigation
const STEP_TIMEOUT = scaled(60000);    // one click, one selector, one screenshot
const PAGE_TIMEOUT = scaled(Number(process.env.CRENEAU_AXE_PAGE_TIMEOUT) * 1000 || 600000); // one page, every check
const SETUP_TIMEOUT = scaled(600000);  // t/a11y/flow.py setup
// Pages checked at once (each in its own tab of the one browser):
// CRENEAU_AXE_WORKERS, else one per CPU, 2 to 4.
const WORKERS = Math.max(1, Number(process.env.CRENEAU_AXE_WORKERS) ||
	Math.min(4, Math.max(2, require('os').cpus().length)));
// CRENEAU_AXE_PAGES=<regexp>: only the pages whose name matches (to work on one).
const ONLY = process.env.CRENEAU_AXE_PAGES ? new RegExp(process.env.CRENEAU_AXE_PAGES) : null;
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } };
const NARROW = { width: 412, height: 915 };   // the phone of issue 12
// The widths axe-core checks each page at (the page resized, not reloaded).
const AXE_WIDTHS = ['desktop', 'phone'];
const CHROMIUM = process.env.CRENEAU_CHROMIUM || '/usr/bin/chromium';
const FLOW = path.join(__dirname, 'flow.py');
// Before sending a form for a screenshot: the minimum fill time and a
// margin, so the page shows the errors of an empty form and not 'too fast'.
const FORM_WAIT = (Number(process.env.CRENEAU_FORM_MIN_SECONDS) || 2) * 1000 + 1000;

// --- TAP ----------------------------------------------------------------

let n = 0;
let failed = 0;

function line(s) {
	process.stdout.write(s + '\n');
}

function diag(msg) {
	for (const l of String(msg).split('\n'))
		line('# ' + l);
}

function ok(cond, desc) {
	n++;
	desc = String(desc).replace(/\n/g, ' ').replace(/#/g, '\\#');
	line((cond ? 'ok ' : 'not ok ') + n + ' - ' + desc);
	if (!cond)
		failed++;
	return !!cond;
}

function skip(desc, why) {
	n++;
	line('ok ' + n + ' - ' + String(desc).replace(/#/g, '\\#') + ' # SKIP ' + why);
}

function done() {
	line('1..' + n);
	process.exitCode = failed ? 1 : 0;
}

// Pages are checked side by side; each records its results here and
// they are printed in order once it is over (flush), so the output reads
// one language after the other. A page past its time limit is closed:
// what it would still record is dropped.
class Rec {
	constructor() {
		this.items = [];
	}

	ok(cond, desc) {
		if (!this.closed)
			this.items.push(['ok', !!cond, desc]);
		return !!cond;
	}

	diag(msg) {
		if (!this.closed)
			this.items.push(['diag', msg]);
	}

	skip(desc, why) {
		if (!this.closed)
			this.items.push(['skip', desc, why]);
	}

	flush() {
		for (const [kind, a, b] of this.items.splice(0))
			if (kind === 'ok')
				ok(a, b);
			else if (kind === 'diag')
				diag(a);
			else
				skip(a, b);
	}
}


// --- fixture --------------------------------------------------------------

let fixture = null;

function dropFixture() {
	if (!fixture)
		return;
	const slug = fixture.slug;
	fixture = null;
	try {
		execFileSync('python3', [FLOW, 'drop', slug], { timeout: 30000, stdio: ['ignore', 'ignore', 'pipe'] });
	} catch (e) {
		diag('could not drop the fixture site ' + slug + ': ' + e.message);
	}
}

function psql(sql) {
	return execFileSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql],
		{ encoding: 'utf8', timeout: 30000 }).trim();
}

// Where the time goes, by step (ms summed over the pages; the steps of
// pages checked side by side overlap): printed at the end.
const prof = {};
function timed(step, promise) {
	const t0 = Date.now();
	return promise.finally(() => {
		prof[step] = prof[step] || { ms: 0, n: 0 };
		prof[step].ms += Date.now() - t0;
		prof[step].n++;
	});
}

// --- pages ----------------------------------------------------------------

// path with ?lang=xx added (kept with the query it has).
function withLang(p, lang) {
	const u = new URL(p, ORIGIN);
	u.searchParams.set('lang', lang);
	return u.href;
}

// The pages to visit: name, path, the status expected, and for a page
// that is a form re-rendered with errors, the form to send (submit: a CSS
// selector of its submit button; fill: values to type first, by
// selector, else the form goes as it is). shot: screenshot it. as: who
// is logged in (staff: a supervisor of the fixture site; mediator), else
// nobody.
function pageList(fx, sites, hasStatement) {
	const list = [{ name: 'home', path: '/', shot: true }];
	for (const s of sites)
		list.push({ name: 'site-' + s, path: '/site/' + s });
	list.push(
		{ name: 'site-fixture', path: fx.site, shot: true },
		{ name: 'procedure', path: fx.calendar },
		{ name: 'procedure-day', path: fx.calendar_day, shot: true },
		{ name: 'book-form', path: fx.book },
		{ name: 'book-errors', path: fx.book, submit: 'main form[action^="/book/"] [type=submit]', shot: true },
		{ name: 'booking-held', path: fx.held },
		{ name: 'booking-confirmed', path: fx.confirmed, shot: true },
		{ name: 'booking-cancel', path: fx.cancel },
		{ name: 'booking-reschedule', path: fx.reschedule },
		{ name: 'manage', path: '/manage' },
		// A table of every site and procedure: its weight follows the data.
		{ name: 'stats', path: '/stats', maxBytes: 60 * 1024 },
		{ name: 'manage-errors', path: '/manage', submit: 'main form[action^="/manage"] [type=submit]' },
		{ name: 'error-404', path: '/nowhere', status: 404 },
		{ name: 'accessibility-statement', path: '/accessibilite', statement: true });
	const a = fx.agent;
	const m = fx.mediator;
	const send = (action) => `main form[action$="${action}"] [type=submit]`;
	// (The other staff forms sent back with errors are checked by the Nu
	// checker in t/a11y/validity_langs.t; here they would cost a minute.)
	list.push(
		{ name: 'agent-login', path: '/agent/login' },
		{ name: 'agent-home', path: a.home, as: 'staff' },
		{ name: 'agent-agenda', path: a.agenda, as: 'staff', shot: true },
		{ name: 'agent-checkin', path: a.checkin, as: 'staff' },
		{ name: 'agent-search', path: a.search, as: 'staff' },
		{ name: 'agent-search-results', path: a.search, as: 'staff', submit: send('/search'),
			fill: { '#surname': fx.desk_surname } },
		{ name: 'agent-search-errors', path: a.search, as: 'staff', submit: send('/search') },
		{ name: 'agent-rules', path: a.rules, as: 'staff' },
		{ name: 'agent-closures', path: a.closures, as: 'staff' },
		{ name: 'agent-publish', path: a.publish, as: 'staff' },
		{ name: 'agent-draws', path: a.draws, as: 'staff' },
		{ name: 'agent-court', path: a.court, as: 'staff' },
		{ name: 'agent-court-item', path: a.court_item, as: 'staff' },
		{ name: 'agent-abuse', path: a.abuse, as: 'staff' },
		{ name: 'agent-court-all', path: a.court_all, as: 'staff' },
		{ name: 'agent-audit', path: a.audit, as: 'staff' },
		{ name: 'agent-reports', path: '/agent/reports', as: 'staff' },
		// The report file speaks the prefecture's language, not the reader's.
		{ name: 'agent-report', path: a.report, as: 'staff', shot: true, personLang: 'fr' },
		{ name: 'agent-phone', path: a.phone, as: 'staff' },
		{ name: 'agent-phone-times', path: a.phone_times, as: 'staff' },
		{ name: 'agent-phone-book', path: a.phone_book, as: 'staff' },
		{ name: 'agent-phone-book-errors', path: a.phone_book, as: 'staff', submit: send(new URL(a.phone_book, ORIGIN).pathname) },
		{ name: 'agent-booking', path: a.booking, as: 'staff' },
		{ name: 'agent-booking-print', path: a.booking_print, as: 'staff', shot: true, personLang: 'ar' },
		{ name: 'mediator', path: m.home, as: 'mediator' },
		{ name: 'mediator-times', path: m.times, as: 'mediator' },
		{ name: 'mediator-book', path: m.book, as: 'mediator' },
		{ name: 'mediator-book-errors', path: m.book, as: 'mediator', submit: send(new URL(m.book, ORIGIN).pathname) },
		{ name: 'mediator-booking', path: m.booking, as: 'mediator', shot: true },
		{ name: 'mediator-bookings', path: m.bookings, as: 'mediator' },
		// Administration pages (issue 12).
		{ name: 'admin-staff', path: fx.admin.staff, as: 'admin' },
		{ name: 'admin-staff-errors', path: fx.admin.staff, as: 'admin', submit: send('/agent/admin/staff') },
		{ name: 'admin-account', path: fx.admin.account, as: 'admin' },
		{ name: 'admin-procedures', path: fx.admin.procedures, as: 'admin' },
		{ name: 'admin-procedure', path: fx.admin.procedure, as: 'admin' },
		{ name: 'admin-procedure-errors', path: fx.admin.procedure, as: 'admin', fill: { '#name': '' },
			submit: send(new URL(fx.admin.procedure, ORIGIN).pathname) },
		{ name: 'admin-sites', path: fx.admin.sites, as: 'admin' },
		{ name: 'admin-site', path: fx.admin.site, as: 'admin' },
		{ name: 'admin-site-errors', path: fx.admin.site, as: 'admin', fill: { '#address': '' },
			submit: send(new URL(fx.admin.site, ORIGIN).pathname) },
		{ name: 'admin-password', path: fx.admin.password },
		{ name: 'admin-password-errors', path: fx.admin.password,
			submit: send(new URL(fx.admin.password, ORIGIN).pathname) },
		{ name: 'mediator-print', path: m.print, as: 'mediator', personLang: 'fr' });
	for (const p of list)
		p.hasStatement = hasStatement;
	return list;
}

// Opens spec in a new page of ctx: the GET, then for a form spec the
// submission (after the minimum fill time when wait is set). With the
// HTTP cache off (watch), every request is seen. Returns { page, status,
// requests, bodies }: requests are the URLs asked since the start, bodies
// the sizes of the responses of the final page.
async function open(job, ctx, spec, lang, watch, wait) {
	const page = await ctx.newPage();
	job.pages.push(page);
	page.setDefaultNavigationTimeout(NAV_TIMEOUT);
	page.setDefaultTimeout(STEP_TIMEOUT);
	const requests = [];
	let responses = [];
	if (watch) {
		const cdp = await ctx.newCDPSession(page);
		await cdp.send('Network.enable');
		await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
		page.on('request', (r) => requests.push(r.url()));
		page.on('response', (r) => {
			responses.push(r.body().then((b) => ({ url: r.url(), bytes: b.length }),
				() => ({ url: r.url(), bytes: 0 })));
		});
	}
	let resp = await timed('load' + (watch ? '' : ' (no JavaScript)'),
		page.goto(withLang(spec.path, lang), { waitUntil: 'load' }));
	if (spec.submit) {
		for (const [sel, value] of Object.entries(spec.fill || {}))
			await page.fill(sel, value);
		if (wait)
			await page.waitForTimeout(FORM_WAIT);
		responses = [];
		const [r] = await timed('form post' + (watch ? '' : ' (no JavaScript)'), Promise.all([
			page.waitForNavigation({ waitUntil: 'load' }),
			page.click(spec.submit),
		]));
		resp = r;
	}
	const bodies = await Promise.all(responses);
	return { page, status: resp ? resp.status() : 0, requests, bodies };
}

function fmtKB(b) {
	return (b / 1024).toFixed(1) + ' KB';
}

// In the page (axe-core injected): axe.run on the whole document with
// the rules of the tags, as @axe-core/playwright's withTags runs it
// (there are no frames); only the violations come back.
function runAxe(tags) {
	return window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
		.then((r) => r.violations.map((v) => ({
			id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.map((x) => ({ target: x.target, html: x.html, failureSummary: x.failureSummary })),
		})));
}

// Prints axe's violations, one block per rule, one line per element.
function showViolations(t, violations) {
	for (const v of violations) {
		t.diag(`${v.id} (${v.impact}): ${v.help}`);
		for (const node of v.nodes.slice(0, 8)) {
			t.diag(`    target ${JSON.stringify(node.target)}: ${node.html.replace(/\s+/g, ' ').slice(0, 160)}`);
			const why = (node.failureSummary || '').split('\n').slice(1, 2).join(' ').trim();
			if (why)
				t.diag('      ' + why.slice(0, 200));
		}
		if (v.nodes.length > 8)
			t.diag(`    … and ${v.nodes.length - 8} more`);
	}
}

// The paths a page links to on our host (shapes: ids and tokens as *).
async function linkShapes(page) {
	const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
	return hrefs.filter((h) => h.startsWith(ORIGIN)).map(shape);
}

function shape(u) {
	return new URL(u, ORIGIN).pathname
		.replace(/^(\/agent(?:\/mediator)?)?\/site\/[^/]+/, '$1/site/*')
		.replace(/^(\/agent\/mediator)?\/site\/\*\/[^/]+/, '$1/site/*/*')
		.replace(/\/[A-Za-z0-9_-]{43}(?=\/|$)/g, '/*')
		.replace(/\/\d+(?=\/|$)/g, '/*');
}

// Runs every check on one page in one language; counts violations by
// rule (tally) and notes the links seen (links).
async function checkPage(job, ctx, nojs, spec, lang, shots, tally, links) {
	const t = job.rec;
	const label = `${lang} ${spec.name}`;
	const want = spec.status || 200;
	if (spec.statement && !spec.hasStatement) {
		t.skip(`${label}: axe-core, language, direction, hosts, weight, no JavaScript`,
			'/accessibilite answers 404 (no accessibility statement yet)');
		return;
	}
	let o;
	try {
		o = await open(job, ctx, spec, lang, true, spec.shot);
	} catch (e) {
		t.ok(false, `${label}: opens in Chromium (${spec.path})`);
		t.diag(e.message.split('\n')[0]);
		return;
	}
	const { page } = o;
	try {
		if (!t.ok(o.status === want, `${label}: ${spec.submit ? 'POST ' : ''}${spec.path} answers ${want}`))
			t.diag(`got ${o.status}`);

		const html = await page.evaluate(() => ({
			lang: document.documentElement.getAttribute('lang'),
			dir: document.documentElement.getAttribute('dir'),
		}));
		// A printout speaks the person's language (spec.personLang),
		// whatever the page's (issue 12).
		const want_lang = spec.personLang || lang;
		if (!t.ok(html.lang === want_lang, `${label}: <html lang="${want_lang}">`))
			t.diag(`got lang=${JSON.stringify(html.lang)}`);
		const dir = RTL.has(want_lang) ? 'rtl' : 'ltr';
		if (!t.ok(html.dir === dir, `${label}: <html dir="${dir}">`))
			t.diag(`got dir=${JSON.stringify(html.dir)}`);

		const foreign = o.requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== ORIGIN);
		if (!t.ok(foreign.length === 0, `${label}: every request goes to the test host (${o.requests.length} requests)`))
			for (const u of foreign)
				t.diag('third party: ' + u);

		const total = o.bodies.reduce((sum, b) => sum + b.bytes, 0);
		if (!t.ok(total > 0 && total < (spec.maxBytes || MAX_BYTES), `${label}: ${fmtKB(total)} with its CSS (under ${(spec.maxBytes || MAX_BYTES) / 1024} KB)`) ||
		    total > (spec.maxBytes || MAX_BYTES) * 0.8)
			for (const b of o.bodies)
				t.diag(`${fmtKB(b.bytes)} ${b.url}`);

		// axe-core goes in once per page load, then runs at each width
		// (the page resized, not reloaded): desktop, then phone.
		await timed('axe-core injection', page.evaluate(axeSource));
		for (const vp of AXE_WIDTHS) {
			if (vp !== 'desktop')
				await page.setViewportSize(VIEWPORTS[vp]);
			const v = await timed('axe-core run', page.evaluate(runAxe, TAGS));
			for (const x of v) {
				tally[x.id] = tally[x.id] || { impact: x.impact, pages: new Set(), nodes: 0 };
				tally[x.id].pages.add(label + (vp === 'desktop' ? '' : ' ' + vp));
				tally[x.id].nodes += x.nodes.length;
			}
			if (!t.ok(v.length === 0, `${label}: axe-core finds no violation (${TAGS.join(', ')})` +
				(vp === 'desktop' ? '' : ` at ${vp} width`)))
				showViolations(t, v);
		}
		await page.setViewportSize(VIEWPORTS.desktop);

		for (const l of await linkShapes(page))
			links.add(l);

		// No horizontal overflow of the page on a phone (issue 12): a wide
		// table scrolls inside its own box, the page does not.
		await page.setViewportSize(NARROW);
		const wide = await page.evaluate((w) => {
			const out = [];
			for (const el of document.body.querySelectorAll('*')) {
				const r = el.getBoundingClientRect();
				if (r.right > w + 1 && !el.closest('.table-scroll'))
					out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).split(' ')[0] : ''} ${Math.round(r.right)}px`);
			}
			return { width: document.documentElement.scrollWidth, wide: out.slice(0, 5) };
		}, NARROW.width);
		if (!t.ok(wide.width <= NARROW.width, `${label}: no horizontal scrolling of the page at ${NARROW.width} px (${wide.width} px)`))
			t.diag('too wide: ' + wide.wide.join(', '));
		await page.setViewportSize(VIEWPORTS.desktop);

		if (spec.shot) {
			for (const [vp, size] of Object.entries(VIEWPORTS)) {
				await page.setViewportSize(size);
				const file = path.join(shots, `${spec.name}-${lang}-${vp}.png`);
				await timed('screenshot', page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT }));
			}
		}
	} catch (e) {
		t.ok(false, `${label}: the checks ran (${e.message.split('\n')[0]})`);
	} finally {
		await page.close().catch(() => {});
	}

	// Without JavaScript: the same page (and its form post) in a context
	// where scripts are off: it answers and has its heading.
	try {
		const q = await open(job, nojs, spec, lang, false, false);
		const h1 = await q.page.locator('main h1').first().textContent({ timeout: STEP_TIMEOUT }).catch(() => null);
		if (!t.ok(q.status === want && h1 && h1.trim() !== '',
			`${label}: works with JavaScript off (answers ${want}, has its <h1>)`))
			t.diag(`got status ${q.status}, h1 ${JSON.stringify(h1)}`);
		await q.page.close().catch(() => {});
	} catch (e) {
		t.ok(false, `${label}: works with JavaScript off`);
		t.diag(e.message.split('\n')[0]);
	}
}

// The staff session cookie of a Cookie header value ("name=value"), as
// the login sets it (Secure, HttpOnly, SameSite=Strict, a __Host- name).
// Playwright takes a Secure cookie only for an https URL; Chromium sends
// it to the test server all the same (127.0.0.1 is a secure context).
function staffCookie(header) {
	const i = header.indexOf('=');
	return { name: header.slice(0, i), value: header.slice(i + 1), url: ORIGIN.replace(/^http:/, 'https:'),
		secure: true, httpOnly: true, sameSite: 'Strict' };
}

// The browser contexts: per language and per person (nobody, the
// supervisor, the mediator, the administrator), a pair with their
// session, lang cookie and Accept-Language, one of them with JavaScript
// off. Made on first use and shared by the pages checked side by side.
class Contexts {
	constructor(browser) {
		this.browser = browser;
		this.pairs = new Map();
	}

	get(lang, who) {
		const key = lang + ' ' + who;
		if (!this.pairs.has(key))
			this.pairs.set(key, this.make(lang, who));
		return this.pairs.get(key);
	}

	async make(lang, who) {
		const opts = { locale: lang, viewport: VIEWPORTS.desktop };
		const session = {
			public: [],
			staff: [staffCookie(fixture.staff_cookie)],
			mediator: [staffCookie(fixture.mediator_cookie)],
			admin: [staffCookie(fixture.admin_cookie)],
		}[who];
		const ctx = await this.browser.newContext(opts);
		const nojs = await this.browser.newContext({ ...opts, javaScriptEnabled: false });
		const cookie = [{ name: 'lang', value: lang, url: ORIGIN }, ...session];
		await ctx.addCookies(cookie);
		await nojs.addCookies(cookie);
		return { ctx, nojs };
	}

	async close() {
		for (const p of this.pairs.values()) {
			const { ctx, nojs } = await p.catch(() => ({}));
			await ctx?.close().catch(() => {});
			await nojs?.close().catch(() => {});
		}
	}
}

// One page in one language, bounded by PAGE_TIMEOUT: past it, the page
// fails with its name, its tabs are closed and the worker goes on.
async function runJob(job, contexts, shots, tally, links) {
	const { spec, lang } = job;
	let timer;
	const limit = new Promise((resolve) => {
		timer = setTimeout(() => resolve('timeout'), PAGE_TIMEOUT);
	});
	const work = (async () => {
		const { ctx, nojs } = await contexts.get(lang, spec.as || 'public');
		await checkPage(job, ctx, nojs, spec, lang, shots, tally, links);
	})().catch((e) => {
		job.rec.ok(false, `${lang} ${spec.name}: the checks ran (${e.message.split('\n')[0]})`);
	});
	const t0 = Date.now();
	const r = await Promise.race([work, limit]);
	clearTimeout(timer);
	job.ms = Date.now() - t0;
	if (r === 'timeout') {
		// What was recorded stays; what the page still does is not.
		const rec = new Rec();
		rec.items = job.rec.items.splice(0);
		job.rec.closed = true;
		rec.ok(false, `${lang} ${spec.name}: checked within ${PAGE_TIMEOUT / 1000} s (${spec.path} still not done)`);
		job.done = rec;
		for (const page of job.pages)
			await page.close().catch(() => {});
	} else {
		job.done = job.rec;
	}
}

// --- main -------------------------------------------------------------------

let chromium;
let axeSource;
let tBrowser = 0;
let tFixture = 0;

async function main() {
	const req = fs.existsSync(path.join(TOP, 'package.json')) ?
		createRequire(path.join(TOP, 'package.json')) : require;
	try {
		({ chromium } = req('playwright-core'));
		// axe-core as @axe-core/playwright has it (its dependency).
		({ source: axeSource } = createRequire(req.resolve('@axe-core/playwright'))('axe-core'));
	} catch (e) {
		ok(false, 'playwright-core and @axe-core/playwright are installed (npm ci)');
		diag(e.message.split('\n')[0]);
		return;
	}
	if (!ok(fs.existsSync(CHROMIUM), `Chromium is installed (${CHROMIUM})`))
		return;

	const shots = path.join(process.env.CRENEAU_VAR || path.join(TOP, 'var', 'a11y'), 'screenshots');
	fs.rmSync(shots, { recursive: true, force: true });
	fs.mkdirSync(shots, { recursive: true });
	diag('screenshots in ' + shots);

	const tf = Date.now();
	try {
		fixture = JSON.parse(execFileSync('python3', [FLOW, 'setup'],
			{ encoding: 'utf8', timeout: SETUP_TIMEOUT, stdio: ['ignore', 'pipe', 'pipe'] }));
	} catch (e) {
		ok(false, 'the booking flow gives a held and a confirmed booking, the staff their rows (t/a11y/flow.py setup)');
		diag(String(e.stderr || e.message).slice(-2000));
		return;
	}
	tFixture = Date.now() - tf;
	const sites = psql("SELECT slug FROM sites WHERE slug NOT LIKE 'test-%' ORDER BY slug")
		.split('\n').filter(Boolean);
	let hasStatement = false;
	try {
		const r = await fetch(BASE + '/accessibilite', { signal: AbortSignal.timeout(NAV_TIMEOUT) });
		hasStatement = r.status !== 404;
	} catch (e) {
		diag('GET /accessibilite: ' + e.message);
	}
	const pages = pageList(fixture, sites, hasStatement).filter((p) => !ONLY || ONLY.test(p.name));
	if (ONLY)
		diag(`CRENEAU_AXE_PAGES=${process.env.CRENEAU_AXE_PAGES}: ${pages.length} pages`);
	const tb = Date.now();

	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
		timeout: NAV_TIMEOUT,
	});
	tBrowser = Date.now() - tb;
	const tally = {};
	const links = new Set();
	const t0 = Date.now();
	// Every (language, page) in one queue; WORKERS tabs take the next one
	// as they finish. The results print in order, language after language.
	const jobs = [];
	for (const lang of LANGS)
		for (const spec of pages)
			jobs.push({ lang, spec, rec: new Rec(), pages: [] });
	const contexts = new Contexts(browser);
	let next = 0;
	let printed = 0;
	const flushDone = () => {
		while (printed < jobs.length && jobs[printed].done)
			jobs[printed++].done.flush();
	};
	const worker = async () => {
		while (next < jobs.length) {
			const job = jobs[next++];
			await runJob(job, contexts, shots, tally, links);
			flushDone();
		}
	};
	try {
		await Promise.all(Array.from({ length: WORKERS }, worker));
	} finally {
		flushDone();
		await contexts.close();
		await browser.close().catch(() => {});
	}
	const took = (Date.now() - t0) / 1000;
	diag(`${pages.length} pages × ${LANGS.length} languages in ${took.toFixed(0)} s, ${WORKERS} tabs at once ` +
		`(browser start ${(tBrowser / 1000).toFixed(1)} s, fixture ${(tFixture / 1000).toFixed(1)} s)`);
	diag('time by step (summed over the pages; steps of pages side by side overlap):');
	for (const [step, { ms, n: k }] of Object.entries(prof).sort((x, y) => y[1].ms - x[1].ms))
		diag(`  ${step}: ${(ms / 1000).toFixed(1)} s in ${k}, ${(ms / k / 1000).toFixed(2)} s each`);
	const slow = jobs.filter((j) => j.ms).sort((x, y) => y.ms - x.ms).slice(0, 5);
	diag('slowest pages: ' + slow.map((j) => `${j.lang} ${j.spec.name} ${(j.ms / 1000).toFixed(1)} s`).join(', '));
	const rules = Object.keys(tally).sort();
	if (rules.length) {
		diag('axe-core violations by rule (elements, pages):');
		for (const id of rules)
			diag(`  ${id} (${tally[id].impact}): ${tally[id].nodes} elements on ${tally[id].pages.size} pages: ` +
				[...tally[id].pages].join(', '));
	}
	const visited = new Set(pages.map((p) => shape(p.path)));
	const missed = [...links].filter((l) => !visited.has(l) && !/\/(ics|static\/.*)$/.test(l)).sort();
	if (missed.length)
		diag('linked from the pages but not checked here: ' + missed.join(' '));
	diag('screenshots in ' + shots);
}

main()
	.catch((e) => {
		ok(false, 'the test ran to its end (' + e.message.split('\n')[0] + ')');
		diag(e.stack || String(e));
	})
	.finally(() => {
		dropFixture();
		done();
	});
