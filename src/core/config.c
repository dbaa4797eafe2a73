/* Configuration file parser: unbound.conf-like "key: value" lines and clauses, validated into an
 * immutable struct rw_config. This file reads the text line by line and hands each value to its
 * key (config_keys.c) or clause (config_clause.c); every line is read whatever came before, so
 * that one pass reports every error of a file, each naming the file and line, and
 * `rootwalkd -n` is useful. Errors and shared values are in config_values.c. */
#include "config_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RW_CONFIG_MAX_FILE (1024 * 1024)
/* The config's life. */

static void set_default_listen(struct rw_config *cfg)
{
	/* Both literals are valid, so these cannot fail. */
	(void)rw_config_parse_addr("127.0.0.1", 53, &cfg->listen[0]);
	(void)rw_config_parse_addr("::1", 53, &cfg->listen[1]);
	cfg->n_listen = 2;
}

struct rw_config *rw_config_default(void)
{
	struct rw_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	cfg_apply_defaults(CFG_SERVER, cfg);
	set_default_listen(cfg);
	return cfg;
}

void rw_config_free(struct rw_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->root_hints);
	free(cfg->trace_log);
	free(cfg->control_socket);
	free(cfg->control_socket_owner);
	free(cfg->username);
	free(cfg->chroot_dir);
	free(cfg->pidfile);
	free(cfg->logfile);
	free(cfg->identity);
	free(cfg->dnstap_socket_path);
	free(cfg->dnstap_file);
	free(cfg->dnstap_identity);
	free(cfg->dnstap_version);
	cfg_free_clauses(cfg);
	free(cfg->acl);
	free(cfg);
}

/* The trace filters, asked for every query. */

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static bool wire_at_or_below(const uint8_t *name, size_t len, const uint8_t *zone, size_t zlen)
{
	size_t off = 0;
	while (len - off > zlen) {
		if (name[off] == 0)
			return false;
		off += (size_t)name[off] + 1;
		if (off > len)
			return false;
	}
	if (len - off != zlen)
		return false;
	for (size_t i = 0; i < zlen; i++) {
		uint8_t c = name[off + i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != zone[i])
			return false;
	}
	return true;
}

bool rw_config_trace_wanted(const struct rw_config *cfg, const uint8_t *qname, size_t qlen,
			    const struct sockaddr *client)
{
	if (cfg->n_trace_names) {
		bool hit = false;
		for (size_t i = 0; i < cfg->n_trace_names && !hit; i++) {
			const uint8_t *z = cfg->trace_names[i];
			size_t zlen = 0;
			while (z[zlen])
				zlen += (size_t)z[zlen] + 1;
			zlen++;
			hit = wire_at_or_below(qname, qlen, z, zlen);
		}
		if (!hit)
			return false;
	}
	if (cfg->n_trace_clients) {
		if (!client)
			return false;
		for (size_t i = 0; i < cfg->n_trace_clients; i++) {
			const struct rw_netblock *nb = &cfg->trace_clients[i];
			if (client->sa_family != nb->addr.ss_family)
				continue;
			if (client->sa_family == AF_INET &&
			    prefix_match((const uint8_t *)&(
						 (const struct sockaddr_in *)(const void *)client)
						 ->sin_addr,
					 (const uint8_t *)&((const struct sockaddr_in *)&nb->addr)
						 ->sin_addr,
					 nb->prefix))
				return true;
			if (client->sa_family == AF_INET6 &&
			    prefix_match((const uint8_t *)&(
						 (const struct sockaddr_in6 *)(const void *)client)
						 ->sin6_addr,
					 (const uint8_t *)&((const struct sockaddr_in6 *)&nb->addr)
						 ->sin6_addr,
					 nb->prefix))
				return true;
		}
		return false;
	}
	return true;
}

/* Lines. */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int is_key_end(char c)
{
	return is_space(c) || c == ':' || c == '#';
}

/* A quoted word at s[*i] (on the opening quote, " or ' as in unbound.conf): its start and
 * length; *i moves past the closing quote. */
static int quoted(struct cfg_parser *p, const char *key, const char *s, size_t n, size_t *i,
		  size_t *start, size_t *len)
{
	char q = s[*i];
	size_t j;

	for (j = *i + 1; j < n && s[j] != q; j++)
		;
	if (j >= n)
		return cfg_fail(p, "%s: unterminated quoted value", key);
	*start = *i + 1;
	*len = j - *start;
	*i = j + 1;
	return 0;
}

/* The value of a key with one value: quoted, or running to a '#' less trailing blanks. */
static int value_one(struct cfg_parser *p, const char *key, const char *s, size_t n, char *val)
{
	size_t i = 0, v = 0, len = 0;

	while (i < n && is_space(s[i]))
		i++;
	if (i < n && (s[i] == '"' || s[i] == '\'')) {
		if (quoted(p, key, s, n, &i, &v, &len) < 0)
			return -EINVAL;
		while (i < n && is_space(s[i]))
			i++;
		if (i < n && s[i] != '#')
			return cfg_fail(p, "%s: unexpected text after quoted value", key);
	} else {
		for (v = i; i < n && s[i] != '#'; i++)
			;
		while (i > v && is_space(s[i - 1]))
			i--;
		len = i - v;
	}
	if (len >= CFG_MAX_VALUE)
		return cfg_fail(p, "%s: value too long", key);
	memcpy(val, s + v, len);
	val[len] = '\0';
	/* An empty quoted value is still a missing value. */
	return 0;
}

/* The value of a key of several words ("local-zone: "example." static"), each quoted or not,
 * given to the setter unquoted and joined by single spaces. */
static int value_words(struct cfg_parser *p, const char *key, const char *s, size_t n, char *val)
{
	size_t i = 0, o = 0, v = 0, len = 0;

	for (;;) {
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n || s[i] == '#')
			break;
		if (s[i] == '"' || s[i] == '\'') {
			if (quoted(p, key, s, n, &i, &v, &len) < 0)
				return -EINVAL;
		} else {
			for (v = i; i < n && !is_space(s[i]) && s[i] != '#'; i++)
				;
			len = i - v;
		}
		if (o + len + 2 >= CFG_MAX_VALUE)
			return cfg_fail(p, "%s: value too long", key);
		if (o > 0 && len > 0)
			val[o++] = ' ';
		memcpy(val + o, s + v, len);
		o += len;
	}
	val[o] = '\0';
	return 0;
}

/* A clause line ("forward-zone:"): it closes the clause before it and opens its own. */
static int clause_line(struct cfg_parser *p, const char *key, int clause, const char *s, size_t n)
{
	char val[CFG_MAX_VALUE], buf[CFG_SHOWN];
	int rc = value_one(p, key, s, n, val);

	if (p->zone_open)
		cfg_zone_close(p);
	p->clause = (enum cfg_clause)clause;
	if (rc == 0 && val[0] != '\0')
		rc = cfg_fail(p, "%s: unexpected value '%s'", key,
			      cfg_shown(val, buf, sizeof(buf)));
	if (clause == CFG_FOREIGN)
		return cfg_fail(p,
				"unknown clause '%s:' (an unbound.conf clause that rootwalkd does "
				"not have: its lines are skipped)",
				key);
	if ((clause == CFG_FORWARD || clause == CFG_STUB) && cfg_zone_open(p, p->clause) < 0)
		p->clause = CFG_FOREIGN; /* out of memory, already said: skip its lines */
	return rc;
}

static bool starts_quoted(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_space(s[i]))
		i++;
	return i < n && (s[i] == '"' || s[i] == '\'');
}

/* Read the value of key k from the rest of its line and set it. */
static int apply(struct cfg_parser *p, const struct cfg_key *k, const char *s, size_t n)
{
	char val[CFG_MAX_VALUE];
	void *obj = p->cfg;
	size_t i = cfg_key_index(k);
	int rc;

	if (k->clause == CFG_FORWARD || k->clause == CFG_STUB)
		obj = &p->cfg->zones[p->cfg->n_zones - 1];
	/* A value of two words may quote each: local-zone: "example." static. */
	if (k->info.type == RW_CONFIG_NAME_TYPE)
		rc = value_words(p, k->info.name, s, n, val);
	else
		rc = value_one(p, k->info.name, s, n, val);
	if (rc == 0 && val[0] == '\0' && !(k->empty_ok && starts_quoted(s, n)))
		rc = cfg_fail(p, "%s: missing value", k->info.name);
	if (rc == 0)
		rc = k->set(p, k, obj, val);
	/* The checks of the whole file skip keys whose line was refused. */
	if (rc < 0)
		p->failed[i] = true;
	else
		p->seen[i] = p->line;
	return rc;
}

static bool has_value(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_space(s[i]))
		i++;
	return i < n && s[i] != '#';
}

/* Split one line (without its newline, NUL-free) into key and value and apply it. */
static int parse_line(struct cfg_parser *p, const char *s, size_t n)
{
	char key[64], buf[CFG_SHOWN];
	const struct cfg_key *k;
	size_t i = 0, start;
	int clause;

	while (i < n && is_space(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	for (start = i; i < n && !is_key_end(s[i]); i++)
		;
	if (i == start || i >= n || s[i] != ':')
		return cfg_fail(p, "expected 'key: value'");
	if (i - start >= sizeof(key)) {
		/* No key is this long; say which one without copying all of it. */
		memcpy(key, s + start, sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		return cfg_fail(p, "unknown key '%s...'", cfg_shown(key, buf, sizeof(buf)));
	}
	memcpy(key, s + start, i - start);
	key[i - start] = '\0';
	i++;
	clause = cfg_clause_of(key);
	/* "dnstap: yes" is a server key, "dnstap:" alone unbound.conf's clause */
	if (clause >= 0 && has_value(s + i, n - i) && cfg_key_find(key, p->clause))
		clause = -1;
	if (clause >= 0)
		return clause_line(p, key, clause, s + i, n - i);
	k = cfg_key_find(key, p->clause);
	if (k == NULL) {
		cfg_unknown(p, key, p->clause);
		return -EINVAL;
	}
	return apply(p, k, s + i, n - i);
}

int rw_config_parse(const char *text, size_t len, const char *name, struct rw_config **out,
		    char *err, size_t errlen)
{
	struct cfg_parser p = {
		.name = name != NULL ? name : "config", .err = err, .errlen = errlen};
	size_t pos = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (text == NULL && len > 0)
		return cfg_fail(&p, "no text");
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (p.cfg == NULL)
		return -ENOMEM;
	cfg_apply_defaults(CFG_SERVER, p.cfg);
	/* Every line is read whatever the lines before it were, so that one pass finds every
	 * error. */
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		if (memchr(text + pos, '\0', n) != NULL)
			cfg_fail(&p, "NUL byte in line");
		else
			parse_line(&p, text + pos, n);
		pos += n + 1;
	}
	if (p.zone_open)
		cfg_zone_close(&p);
	cfg_check_server(&p);
	if (p.n_errors > 0) {
		cfg_finish_errors(&p);
		rw_config_free(p.cfg);
		return p.oom ? -ENOMEM : -EINVAL;
	}
	/* The first listen line replaced the defaults; none at all keeps them. */
	if (p.cfg->n_listen == 0)
		set_default_listen(p.cfg);
	*out = p.cfg;
	return 0;
}

/* The whole file at path into a buffer of the caller's (free), at most RW_CONFIG_MAX_FILE
 * bytes. Returns 0 or a negative errno code with the message in err. */
static int read_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	char *text;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	/* One byte more than the limit, to tell "exactly at the limit" from "too large". */
	text = malloc(RW_CONFIG_MAX_FILE + 1);
	if (text == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (len <= RW_CONFIG_MAX_FILE) {
		ssize_t r = read(fd, text + len, RW_CONFIG_MAX_FILE + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			free(text);
			close(fd);
			return rc;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > RW_CONFIG_MAX_FILE) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: file too large (more than %d bytes)", path,
				 RW_CONFIG_MAX_FILE);
		free(text);
		return -EFBIG;
	}
	*out = text;
	*outlen = len;
	return 0;
}

int rw_config_load(const char *path, struct rw_config **out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return -EINVAL;
	rc = read_file(path, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = rw_config_parse(text, len, path, out, err, errlen);
	free(text);
	return rc;
}

int rw_config_peek_text(const char *text, size_t len, const char *key, char *out, size_t outlen)
{
	struct cfg_parser quiet = {.name = "peek"}; /* no err: messages are not kept */
	size_t klen = strlen(key), pos = 0;
	char val[CFG_MAX_VALUE];
	int found = 0;

	if ((text == NULL && len > 0) || key == NULL || out == NULL || outlen == 0)
		return 0;
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos, i = 0;

		pos += n + 1;
		while (i < n && is_space(s[i]))
			i++;
		if (n - i <= klen || memcmp(s + i, key, klen) != 0 || s[i + klen] != ':' ||
		    memchr(s, '\0', n) != NULL)
			continue;
		i += klen + 1;
		if (value_one(&quiet, key, s + i, n - i, val) < 0 || val[0] == '\0' ||
		    strlen(val) >= outlen)
			continue;
		memcpy(out, val, strlen(val) + 1);
		found = 1;
	}
	return found;
}

int rw_config_peek(const char *path, const char *key, char *out, size_t outlen, char *err,
		   size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (path == NULL || key == NULL || out == NULL || outlen == 0)
		return -EINVAL;
	rc = read_file(path, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = rw_config_peek_text(text, len, key, out, outlen);
	free(text);
	return rc;
}

/* Is s "N more error(s)" and nothing after? */
static bool more_errors(const char *s)
{
	size_t d = strspn(s, "0123456789");

	return d > 0 && (strcmp(s + d, " more error") == 0 || strcmp(s + d, " more errors") == 0);
}

size_t rw_config_errors_lines(char *err, const char *name)
{
	size_t nlen = strlen(name), n = 1, o = 0;

	if (err == NULL || err[0] == '\0')
		return 0;
	for (size_t i = 0; err[i] != '\0'; i++) {
		/* "; NAME:" starts the next message; "; N more errors" is the last. */
		if (err[i] == ';' && err[i + 1] == ' ' &&
		    ((strncmp(err + i + 2, name, nlen) == 0 && err[i + 2 + nlen] == ':') ||
		     more_errors(err + i + 2))) {
			err[o++] = '\n';
			i++;
			n++;
			continue;
		}
		err[o++] = err[i];
	}
	err[o] = '\0';
	return n;
}
