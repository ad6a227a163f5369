// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs_fuzz: random and boundary writes to every writable file of
 * scalable_iommu (/sys/kernel/scalable_iommu/, its device/<bdf>/ files
 * and the writable module parameters), run inside the test VM (built
 * static on the host by tests/vm/run.sh).
 *
 *   sysfs_fuzz <writes> <seed>
 *
 * For each write: a file, a string (random bytes, random text, numbers at
 * the edges of every range, the valid names and addresses mutated, very
 * long strings), one write(2).  Then:
 *   - refused: the errno must be one the README documents for that file,
 *     and nothing the module shows may have changed;
 *   - accepted: the string must be one the file documents as valid (a
 *     name it lists, a number in range, an address of a device), and the
 *     change is undone (detach what was attached, the old setting back)
 *     so later comparisons hold.
 * Prints one line per violation (at most 20) and a summary; exit status 1
 * when there was any.  The kernel log is checked by the VM rig.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYS "/sys/kernel/scalable_iommu/"
#define PARAMS "/sys/module/scalable_iommu/parameters/"
#define MAX_TARGETS 64
#define MAX_STR 6000

enum kind {
	K_ATTACH, K_DETACH, K_ALLOCATOR, K_INVALIDATION, K_PROTECTION, K_NUMBER
};

struct target {
	char path[600];
	enum kind kind;
	const int *errnos;		/* documented, 0-terminated */
	unsigned long min, max;		/* K_NUMBER */
};

static const int attach_errnos[] = { EINVAL, ENODEV, ENXIO, EEXIST, ENOMEM, 0 };
static const int detach_errnos[] = { EINVAL, ENODEV, ENOENT, 0 };
static const int allocator_errnos[] = { EINVAL, ERANGE, EBUSY, 0 };
static const int name_errnos[] = { EINVAL, 0 };
/* A device's: a lazy policy is refused at protection=subpage. */
static const int dev_policy_errnos[] = { EINVAL, EPERM, 0 };
static const int protection_errnos[] = { EINVAL, EPERM, EOPNOTSUPP, ENOMEM, 0 };
static const char *const protections[] = { "page", "subpage" };
static const int number_errnos[] = { EINVAL, 0 };
static const int param_errnos[] = { EINVAL, 0 };

static struct target targets[MAX_TARGETS];
static unsigned int nr_targets;
static char allocators[8][32], policies[8][32], bdfs[64][16];
static unsigned int nr_allocators, nr_policies, nr_bdfs;
static unsigned long violations, accepted, refused, by_errno[200];

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* "a [b] c" -> names[] = a, b, c */
static unsigned int parse_choices(const char *path, char names[][32])
{
	char buf[512], *tok, *save;
	unsigned int n = 0;

	if (read_file(path, buf, sizeof(buf)))
		return 0;
	for (tok = strtok_r(buf, " \n[]", &save); tok && n < 8;
	     tok = strtok_r(NULL, " \n[]", &save))
		snprintf(names[n++], 32, "%s", tok);
	return n;
}

static void add_target(const char *path, enum kind kind, const int *errnos,
		       unsigned long min, unsigned long max)
{
	struct target *t;

	if (nr_targets == MAX_TARGETS || access(path, W_OK))
		return;
	t = &targets[nr_targets++];
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->kind = kind;
	t->errnos = errnos;
	t->min = min;
	t->max = max;
}

static void discover(void)
{
	char path[600];
	struct dirent *e;
	DIR *d;

	nr_allocators = parse_choices(SYS "allocator", allocators);
	nr_policies = parse_choices(SYS "invalidation", policies);
	d = opendir("/sys/bus/pci/devices");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && nr_bdfs < 64)
			snprintf(bdfs[nr_bdfs++], 16, "%.15s", e->d_name);
	if (d)
		closedir(d);
	add_target(SYS "attach", K_ATTACH, attach_errnos, 0, 0);
	add_target(SYS "detach", K_DETACH, detach_errnos, 0, 0);
	add_target(SYS "allocator", K_ALLOCATOR, allocator_errnos, 0, 0);
	add_target(SYS "invalidation", K_INVALIDATION, name_errnos, 0, 0);
	add_target(SYS "batch_size", K_NUMBER, number_errnos, 1, 512);
	add_target(SYS "flush_timeout_us", K_NUMBER, number_errnos, 100,
		   1000000);
	add_target(PARAMS "fail_alloc_ppm", K_NUMBER, param_errnos, 0, 1000000);
	d = opendir(SYS "device");
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYS "device/%s/allocator", e->d_name);
		add_target(path, K_ALLOCATOR, allocator_errnos, 0, 0);
		snprintf(path, sizeof(path), SYS "device/%s/invalidation",
			 e->d_name);
		add_target(path, K_INVALIDATION, dev_policy_errnos, 0, 0);
		snprintf(path, sizeof(path), SYS "device/%s/protection",
			 e->d_name);
		add_target(path, K_PROTECTION, protection_errnos, 0, 0);
	}
	if (d)
		closedir(d);
}

/* Everything the module shows that a write could change. */
static void snapshot(char *out, size_t len)
{
	static const char *const files[] = {
		SYS "allocator", SYS "invalidation", SYS "batch_size",
		SYS "flush_timeout_us", SYS "devices", PARAMS "fail_alloc_ppm",
	};
	char buf[4096], *p;
	unsigned int i;
	size_t n = 0;

	out[0] = 0;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (read_file(files[i], buf, sizeof(buf)))
			strcpy(buf, "?");
		/* devices: the mapping counts move with any I/O; not them. */
		for (p = strstr(buf, " mappings="); p; p = strstr(p, " mappings="))
			memmove(p, p + strcspn(p, "\n"), strlen(p + strcspn(p, "\n")) + 1);
		n += snprintf(out + n, len - n, "%s=%s|", files[i], buf);
	}
	for (i = 0; i < nr_targets; i++) {
		if (strncmp(targets[i].path, SYS "device/", strlen(SYS "device/")))
			continue;
		if (read_file(targets[i].path, buf, sizeof(buf)))
			strcpy(buf, "?");
		n += snprintf(out + n, len - n, "%s=%s|", targets[i].path, buf);
	}
}

static unsigned long rnd(unsigned long n)
{
	return n ? (unsigned long)random() % n : 0;
}

static const char *const numbers[] = {
	"0", "1", "-1", "2", "99", "100", "101", "250", "511", "512", "513",
	"999999", "1000000", "1000001", "4294967295", "4294967296",
	"18446744073709551615", "18446744073709551616", "-0", "+5", "0x200",
	"0x1ff", "010", "0b1", "1e3", "5 ", " 5", "5\n", "5\n\n", "\n5",
	"5\t", "5 5", "5,5", "٣", "00000000000000000000000000000000000001",
};

static const char *const words[] = {
	"", "\n", " ", "all", "ALL", "all\n", " all", "none", "auto", "default",
	"[rbtree]", "rbtree magazine", "0000:00:00.0", "0000:00:1f.7",
	"0000:00:20.0", "0000:00:01.8", "0000:100:00.0", "ffff:ff:1f.7",
	"10000:00:01.0", "00:01.0", "0000:00:01", "0000:00:01.0.0",
	"0000:00:01.0\n\n", "-1:00:01.0", "0000:-1:01.0", "0x0000:00:01.0",
	"0000:00:01.0 extra", "%s%s%n", "../../../../etc/passwd",
};

/* Mutate a valid string: case, padding, truncation, garbage. */
static size_t mutate(const char *valid, char *s)
{
	size_t n = strlen(valid), i;

	memcpy(s, valid, n + 1);
	switch (rnd(9)) {
	case 0:
		break;					/* as is */
	case 1:
		s[n++] = '\n';				/* as echo writes it */
		break;
	case 2:
		for (i = 0; i < n; i++)
			s[i] = toupper((unsigned char)s[i]);
		break;
	case 3:
		n = n ? rnd(n) : 0;			/* truncated */
		break;
	case 4:
		memmove(s + 1, s, n++);			/* leading space */
		s[0] = ' ';
		break;
	case 5:
		s[n++] = "x \t\0!9"[rnd(6)];		/* one more byte */
		break;
	case 6:
		memcpy(s + n, valid, n);		/* doubled */
		n *= 2;
		break;
	case 7:
		if (n)
			s[rnd(n)] = (char)rnd(256);	/* one byte flipped */
		break;
	default:
		s[n++] = '\n';
		s[n++] = '\n';
		break;
	}
	return n;
}

static size_t generate(const struct target *t, char *s)
{
	unsigned long x;
	char num[32];
	size_t n, i;

	switch (rnd(10)) {
	case 0:						/* random bytes */
		n = rnd(65);
		for (i = 0; i < n; i++)
			s[i] = (char)rnd(256);
		return n;
	case 1:						/* random text */
		n = rnd(300);
		for (i = 0; i < n; i++)
			s[i] = (char)(32 + rnd(95));
		return n;
	case 2:						/* very long */
		n = 1000 + rnd(MAX_STR - 1000);
		for (i = 0; i < n; i++)
			s[i] = "0123456789abcdef:."[rnd(18)];
		return n;
	case 3:
		return mutate(words[rnd(sizeof(words) / sizeof(words[0]))], s);
	case 4:
		return mutate(numbers[rnd(sizeof(numbers) / sizeof(numbers[0]))],
			      s);
	default:					/* near the valid */
		break;
	}
	switch (t->kind) {
	case K_ALLOCATOR:
		return mutate(allocators[rnd(nr_allocators)], s);
	case K_INVALIDATION:
		return mutate(policies[rnd(nr_policies)], s);
	case K_PROTECTION:
		return mutate(protections[rnd(2)], s);
	case K_NUMBER:
		/* In range mostly, else just past either end. */
		x = rnd(3) ? t->min + rnd(t->max - t->min + 1) :
		    rnd(2) ? t->max + 1 + rnd(10) : t->min - 1 - rnd(2);
		snprintf(num, sizeof(num), "%lu", x);
		return mutate(num, s);
	default:
		/* A real device's address seldom: attaching rebinds drivers. */
		if (rnd(20))
			return mutate(words[12 + rnd(17)], s);
		return mutate(bdfs[rnd(nr_bdfs)], s);
	}
}

static void violation(const struct target *t, const char *s, size_t n,
		      const char *what)
{
	char shown[80];
	size_t i, m = 0;

	for (i = 0; i < n && m < sizeof(shown) - 5; i++)
		m += snprintf(shown + m, sizeof(shown) - m,
			      isprint((unsigned char)s[i]) ? "%c" : "\\x%02x",
			      (unsigned char)s[i]);
	if (++violations <= 20)
		printf("VIOLATION %s <- '%s'%s (%zu bytes): %s\n", t->path,
		       shown, i < n ? "..." : "", n, what);
}

/* The string without one trailing newline, as sysfs_streq compares. */
static void trimmed(const char *s, size_t n, char *out)
{
	memcpy(out, s, n);
	out[n] = 0;
	if (n && out[n - 1] == '\n')
		out[n - 1] = 0;
}

static int valid_number(const struct target *t, const char *v)
{
	char *end;
	unsigned long x;

	if (!*v || (!isdigit((unsigned char)*v) && *v != '+'))
		return 0;
	errno = 0;
	x = strtoul(v, &end, 0);
	return !errno && !*end && x >= t->min && x <= t->max;
}

static int listed(const char *v, char names[][32], unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(v, names[i]))
			return 1;
	return 0;
}

static int write_str(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY);
	ssize_t w;

	if (fd < 0)
		return errno;
	w = write(fd, s, n);
	close(fd);
	return w < 0 ? errno : 0;
}

/* Put back the setting a file had (its active name or its number). */
static void restore(const struct target *t, const char *before)
{
	const char *key = strstr(before, t->path);
	char val[64] = "", *p;
	size_t n;

	if (!key)
		return;
	key += strlen(t->path) + 1;
	p = strchr(key, '[');
	if (p && (t->kind == K_ALLOCATOR || t->kind == K_INVALIDATION ||
		  t->kind == K_PROTECTION)) {
		n = strcspn(p + 1, "]");
		memcpy(val, p + 1, n < 63 ? n : 63);
	} else {
		n = strcspn(key, "\n|");
		memcpy(val, key, n < 63 ? n : 63);
	}
	write_str(t->path, val, strlen(val));
}

/* Attach again every device the snapshot @before lists as attached. */
static void reattach(const char *before)
{
	const char *p = strstr(before, SYS "devices=");
	char bdf[16];

	if (!p)
		return;
	p += strlen(SYS "devices=");
	while (*p && *p != '|') {
		if (sscanf(p, "%15s", bdf) == 1 &&
		    write_str(SYS "attach", bdf, strlen(bdf)) &&
		    errno != EEXIST)
			printf("note: could not attach %s again\n", bdf);
		p += strcspn(p, "\n|");
		if (*p == '\n')
			p++;
	}
}

int main(int argc, char **argv)
{
	static char s[MAX_STR * 2 + 8], v[MAX_STR * 2 + 8];
	static char before[16384], after[16384];
	unsigned long writes, i;
	const int *e;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: sysfs_fuzz <writes> <seed>\n");
		return 2;
	}
	writes = strtoul(argv[1], NULL, 0);
	srandom(strtoul(argv[2], NULL, 0));
	discover();
	if (!nr_targets || !nr_allocators || !nr_policies) {
		printf("no writable files found\n");
		return 1;
	}
	for (i = 0; i < writes; i++) {
		const struct target *t = &targets[rnd(nr_targets)];
		size_t n = generate(t, s);

		snapshot(before, sizeof(before));
		err = write_str(t->path, s, n);
		snapshot(after, sizeof(after));
		if (err == ENOENT && access(t->path, F_OK))
			continue;	/* a device/<bdf>/ file, device detached */
		if (err) {
			refused++;
			if (err < 200)
				by_errno[err]++;
			for (e = t->errnos; *e && *e != err; e++)
				;
			if (!*e)
				violation(t, s, n, strerror(err));
			if (strcmp(before, after))
				violation(t, s, n, "refused, yet the state changed");
			continue;
		}
		accepted++;
		/* A NUL ends what the kernel parses: no check then. */
		trimmed(s, n, v);
		switch (t->kind) {
		case K_ALLOCATOR:
			if (n && !memchr(s, 0, n) &&
			    !listed(v, allocators, nr_allocators))
				violation(t, s, n, "accepted: not a listed allocator");
			restore(t, before);
			break;
		case K_INVALIDATION:
			if (n && !memchr(s, 0, n) &&
			    !listed(v, policies, nr_policies))
				violation(t, s, n, "accepted: not a listed policy");
			restore(t, before);
			break;
		case K_PROTECTION:
			if (n && !memchr(s, 0, n) && strcmp(v, "page") &&
			    strcmp(v, "subpage"))
				violation(t, s, n, "accepted: not page or subpage");
			restore(t, before);
			break;
		case K_NUMBER:
			if (n && !memchr(s, 0, n) && !valid_number(t, v))
				violation(t, s, n, "accepted: not a number in range");
			restore(t, before);
			break;
		case K_ATTACH:
			if (write_str(SYS "detach", v, strlen(v)))
				violation(t, s, n, "accepted, but detach refused");
			break;
		case K_DETACH:
			/* Only "all" or a real attached device can succeed. */
			if (strcmp(before, after) == 0 && n)
				violation(t, s, n, "accepted, yet nothing detached");
			reattach(before);
			break;
		}
	}
	printf("sysfs_fuzz: %lu writes to %u files: %lu accepted, %lu refused (",
	       writes, nr_targets, accepted, refused);
	for (i = 0; i < 200; i++)
		if (by_errno[i])
			printf(" %s:%lu", strerrorname_np((int)i) ?: "?", by_errno[i]);
	printf(" ), %lu violations\n", violations);
	return violations ? 1 : 0;
}
