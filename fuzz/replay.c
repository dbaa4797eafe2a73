/* Runs a fuzz target over its corpus as an ordinary test, for builds without libFuzzer.
 *
 * Arguments are directories (every regular file in them, in name order) or single files. Each
 * input is copied into a buffer of exactly its size, so that a sanitizer catches a read past the
 * end as it would under the fuzzer. An empty or unreadable directory fails the run: a corpus
 * that silently vanished must not look like a pass. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot size file\n", path);
		fclose(f);
		return -1;
	}
	buf = malloc(size > 0 ? (size_t)size : 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "%s: cannot read file\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	free(buf);
	return 0;
}

static int is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Returns the number of inputs run, or -1. */
static int run_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), ran = 0, rc = 0;

	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];

		if (names[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) <
			    (int)sizeof(path) &&
		    is_regular(path)) {
			if (run_file(path) < 0)
				rc = -1;
			else
				ran++;
		}
		free(names[i]);
	}
	free(names);
	if (rc == 0 && ran == 0) {
		fprintf(stderr, "%s: no inputs\n", dir);
		return -1;
	}
	return rc < 0 ? -1 : ran;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int n = is_regular(argv[i]) ? (run_file(argv[i]) == 0 ? 1 : -1) : run_dir(argv[i]);

		if (n < 0)
			return 1;
		total += n;
	}
	printf("%s: %d inputs replayed\n", argv[0], total);
	return 0;
}
